/**
 * Fetches an image URL for the Playground on the server, guarded against server-side request
 * forgery: only http(s) without credentials; every address the host resolves to (A and AAAA,
 * via Deno.resolveDns) must be public — loopback, private, link-local (cloud metadata at
 * 169.254.169.254), CGNAT, unique-local, multicast, reserved, IPv4-mapped / NAT64 / 6to4 / Teredo
 * IPv6 and documentation ranges are refused; redirects are followed by hand (at most 3) and each
 * target is checked the same way; the body must say image/* (not SVG), start with a raster
 * image's magic bytes and fit the size cap; one deadline covers every hop and the body.
 *
 * Residual risk, stated: the address checked is resolved just before fetch() resolves it again,
 * so a DNS server answering differently within that instant (rebinding) is not covered; Deno's
 * fetch offers no way to pin the connection to the checked address with TLS intact.
 */
import { HttpError } from "@/lib/errors.ts";

/** Bodies larger than this are refused (bytes). */
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
/** One deadline for DNS, every redirect and the body (ms). */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Redirects followed before giving up. */
export const MAX_REDIRECTS = 3;

/** How fetchImageUrl behaves; every field has a production default. */
export interface UrlFetchOptions {
  maxBytes?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Resolves a host name to its addresses; default Deno.resolveDns A + AAAA. */
  resolve?: (host: string) => Promise<string[]>;
  /**
   * TEST HOOK ONLY: addresses for which this returns true are allowed although not public, so
   * tests can serve the positive path from 127.0.0.1. Production callers never pass it.
   */
  allowAddressForTests?: (address: string) => boolean;
  /** Fetch implementation (tests); default globalThis.fetch. */
  fetch?: typeof fetch;
}

/**
 * TEST HOOK ONLY, for in-process route tests (`app.request`): when set, it is the default
 * `allowAddressForTests`. Nothing outside tests sets it, and no request or setting can.
 */
export const urlFetchTestHook: { allowAddress: ((address: string) => boolean) | null } = {
  allowAddress: null,
};

/** A fetched image. */
export interface FetchedImage {
  bytes: Uint8Array;
  /** The media type the server declared, lower case, without parameters. */
  contentType: string;
  /** The URL the body came from, after redirects. */
  finalUrl: string;
  redirects: number;
}

/** A URL the fetcher will not fetch, or whose answer is not a usable image. */
export class UrlFetchError extends HttpError {
  constructor(status: number, message: string) {
    super(status, message);
    this.name = "UrlFetchError";
  }
}

/** Fetches `raw` under the rules above; throws UrlFetchError saying which rule refused it. */
export async function fetchImageUrl(
  raw: string,
  opts: UrlFetchOptions = {},
): Promise<FetchedImage> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRedirects = opts.maxRedirects ?? MAX_REDIRECTS;
  const doFetch = opts.fetch ?? fetch;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const timedOut = () =>
    new UrlFetchError(504, `The image URL did not answer within ${timeoutMs / 1000} s.`);
  try {
    let url = parseTarget(raw);
    for (let hop = 0;; hop++) {
      await checkHost(url, opts, ctrl.signal).catch((e) => {
        throw ctrl.signal.aborted ? timedOut() : e;
      });
      let res: Response;
      try {
        res = await doFetch(url.href, {
          redirect: "manual",
          signal: ctrl.signal,
          headers: { accept: "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8" },
        });
      } catch (e) {
        if (ctrl.signal.aborted) throw timedOut();
        throw new UrlFetchError(502, `Could not reach ${url.host}: ${(e as Error).message}`);
      }
      if (res.status >= 300 && res.status < 400 && res.headers.has("location")) {
        await res.body?.cancel();
        if (hop >= maxRedirects) {
          throw new UrlFetchError(
            400,
            `The image URL redirected more than ${maxRedirects} times; give the final URL.`,
          );
        }
        url = parseTarget(res.headers.get("location")!, url);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new UrlFetchError(502, `${url.host} answered ${res.status} for the image URL.`);
      }
      const contentType = (res.headers.get("content-type") ?? "").split(";")[0].trim()
        .toLowerCase();
      if (!contentType.startsWith("image/") || contentType === "image/svg+xml") {
        await res.body?.cancel();
        throw new UrlFetchError(
          415,
          `The URL is not a raster image: it answered with content type "${
            contentType || "none"
          }" (expected image/png, image/jpeg, image/webp, image/gif or image/bmp).`,
        );
      }
      const bytes = await readCapped(res, maxBytes).catch((e) => {
        throw ctrl.signal.aborted ? timedOut() : e;
      });
      if (!looksLikeRaster(bytes)) {
        throw new UrlFetchError(
          415,
          `The URL said ${contentType}, but its bytes are not a PNG, JPEG, GIF, WebP, BMP or AVIF image.`,
        );
      }
      return { bytes, contentType, finalUrl: url.href, redirects: hop };
    }
  } finally {
    clearTimeout(timer);
  }
}

function parseTarget(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw.trim(), base);
  } catch {
    throw new UrlFetchError(400, `"${raw.slice(0, 200)}" is not a URL.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UrlFetchError(
      400,
      `Only http and https image URLs are fetched, not ${url.protocol.replace(/:$/, "")}.`,
    );
  }
  if (url.username || url.password) {
    throw new UrlFetchError(400, "Image URLs with a user name or password are not fetched.");
  }
  return url;
}

async function checkHost(url: URL, opts: UrlFetchOptions, signal: AbortSignal): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  let addresses: string[];
  if (isIpLiteral(host)) addresses = [host];
  else {
    if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal")) {
      throw new UrlFetchError(
        403,
        `Refused ${host}: it names this machine or its cloud's internals.`,
      );
    }
    addresses = await (opts.resolve ?? resolveAll)(host);
    if (signal.aborted) return;
    if (addresses.length === 0) {
      throw new UrlFetchError(400, `The host ${host} does not resolve to any address.`);
    }
  }
  for (const a of addresses) {
    const why = blockedReason(a);
    const allow = opts.allowAddressForTests ?? urlFetchTestHook.allowAddress;
    if (why && !allow?.(a)) {
      const named = a === host ? host : `${host} (resolves to ${a})`;
      throw new UrlFetchError(
        403,
        `Refused ${named}: ${why}. The server fetches only public internet addresses.`,
      );
    }
  }
}

async function resolveAll(host: string): Promise<string[]> {
  const [a, aaaa] = await Promise.allSettled([
    Deno.resolveDns(host, "A"),
    Deno.resolveDns(host, "AAAA"),
  ]);
  return [
    ...(a.status === "fulfilled" ? a.value : []),
    ...(aaaa.status === "fulfilled" ? aaaa.value : []),
  ];
}

async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new UrlFetchError(
      413,
      `The image is larger than ${
        (maxBytes / 2 ** 20).toFixed(0)
      } MB, the most fetched from a URL.`,
    );
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) (out.set(c, pos), pos += c.byteLength);
  return out;
}

/** PNG, JPEG, GIF, WebP, BMP or AVIF by magic bytes. */
export function looksLikeRaster(b: Uint8Array): boolean {
  const ascii = (o: number, s: string) => [...s].every((ch, i) => b[o + i] === ch.charCodeAt(0));
  return (b[0] === 0x89 && ascii(1, "PNG")) || (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) ||
    ascii(0, "GIF8") || (ascii(0, "RIFF") && ascii(8, "WEBP")) || ascii(0, "BM") ||
    (ascii(4, "ftyp") && (ascii(8, "avif") || ascii(8, "avis")));
}

function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== null || host.includes(":");
}

/** Why an address is not a public one, or null when it is. Unparseable addresses are refused. */
export function blockedReason(address: string): string | null {
  const a = address.replace(/^\[|\]$/g, "").split("%")[0];
  const v4 = parseIpv4(a);
  if (v4) return ipv4Reason(v4);
  const v6 = parseIpv6(a);
  if (!v6) return `${address} is not an IP address`;
  return ipv6Reason(v6);
}

function ipv4Reason([a, b, c]: number[]): string | null {
  if (a === 0) return '0.0.0.0/8 is "this network"';
  if (a === 127) return "it is a loopback address";
  if (a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) {
    return "it is a private network address";
  }
  if (a === 169 && b === 254) return "it is a link-local address (where cloud metadata lives)";
  if (a === 100 && b >= 64 && b < 128) return "it is a carrier-grade NAT (shared) address";
  if (a === 192 && b === 0 && c === 0) return "192.0.0.0/24 is reserved for protocol use";
  if (
    (a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  ) return "it is a documentation address";
  if (a === 198 && (b === 18 || b === 19)) return "it is a benchmarking address";
  if (a >= 224 && a < 240) return "it is a multicast address";
  if (a >= 240) return "it is a reserved or broadcast address";
  return null;
}

function ipv6Reason(w: number[]): string | null {
  const zeroTo = (n: number) => w.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return "it is the unspecified address";
  if (zeroTo(7) && w[7] === 1) return "it is a loopback address";
  if (zeroTo(5) && w[5] === 0xffff) return "it is an IPv4-mapped address";
  if (zeroTo(6)) return "it is an IPv4-compatible address (deprecated)";
  if (w[0] === 0x64 && w[1] === 0xff9b) return "it is a NAT64 address that embeds IPv4";
  if (w[0] === 0x2002) return "it is a 6to4 address that embeds IPv4";
  if (w[0] === 0x2001 && w[1] === 0) return "it is a Teredo tunnel address";
  if (w[0] === 0x2001 && w[1] === 0xdb8) return "it is a documentation address";
  if (w[0] === 0x100 && w[1] === 0 && w[2] === 0 && w[3] === 0) return "it is a discard address";
  if ((w[0] & 0xfe00) === 0xfc00) return "it is a unique-local (private) address";
  if ((w[0] & 0xffc0) === 0xfe80) return "it is a link-local address";
  if ((w[0] & 0xffc0) === 0xfec0) return "it is a site-local (private) address";
  if ((w[0] & 0xff00) === 0xff00) return "it is a multicast address";
  return null;
}

/** Dotted-quad IPv4 (four decimal parts, as URL parsing normalises every IPv4 form) or null. */
function parseIpv4(s: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Eight 16-bit words of an IPv6 address (with `::` and a trailing dotted IPv4), or null. */
function parseIpv6(s: string): number[] | null {
  if (!/^[0-9a-f:.]+$/i.test(s) || s.split("::").length > 2) return null;
  let tail: number[] = [];
  let text = s;
  const dot = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dot) {
    const v4 = parseIpv4(dot[1]);
    if (!v4) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    text = s.slice(0, s.length - dot[1].length);
    if (text.endsWith(":") && !text.endsWith("::")) text = text.slice(0, -1);
  }
  const words = (part: string) =>
    part === ""
      ? []
      : part.split(":").map((x) => (/^[0-9a-f]{1,4}$/i.test(x) ? parseInt(x, 16) : NaN));
  let out: number[];
  if (text.includes("::")) {
    const [head, rest] = text.split("::");
    const h = words(head), r = words(rest);
    const fill = 8 - tail.length - h.length - r.length;
    if (fill < 1) return null;
    out = [...h, ...new Array(fill).fill(0), ...r, ...tail];
  } else {
    out = [...words(text), ...tail];
  }
  return out.length === 8 && out.every((x) => Number.isInteger(x)) ? out : null;
}
