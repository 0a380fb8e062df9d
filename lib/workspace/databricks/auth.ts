/**
 * Where the bearer token comes from, in the documented order: a forwarded user token (Databricks
 * Apps user authorization) > OAuth M2M client credentials > DATABRICKS_TOKEN > ~/.databrickscfg.
 * Tokens live only in memory here; nothing in this module logs or serialises them.
 */
import { z } from "zod";
import { WorkspaceError } from "@/lib/errors.ts";
import type { Clock, HttpClient } from "./http.ts";
import { normalizeHost, REAL_CLOCK } from "./http.ts";
import { DatabricksError } from "./api_error.ts";
import { errorFromResponse, requestIdFrom } from "./api_error.ts";

/** How requests authenticate, in precedence order. */
export type AuthMethod = "forwarded-user" | "oauth-m2m" | "pat" | "profile";

/** Supplies the bearer token for each request. */
export interface TokenSource {
  readonly method: AuthMethod;
  /** Safe to show: e.g. "OAuth M2M (client 1234…)", never the secret. */
  readonly label: string;
  token(): Promise<string>;
  /** Drops a cached token after a 401; true when a fresh one can be fetched (so retry once). */
  invalidate(): boolean;
}

const REDACTED = "[redacted]";

/** A fixed token: a PAT, a profile token or a forwarded user token. */
export class StaticToken implements TokenSource {
  readonly #token: string;
  constructor(token: string, readonly method: AuthMethod, readonly label: string) {
    if (!token.trim()) throw new Error(`empty token for ${label}`);
    this.#token = token.trim();
  }
  token(): Promise<string> {
    return Promise.resolve(this.#token);
  }
  invalidate(): boolean {
    return false;
  }
  toJSON(): unknown {
    return { method: this.method, label: this.label, token: REDACTED };
  }
  [Symbol.for("Deno.customInspect")](): string {
    return `StaticToken(${this.label}, ${REDACTED})`;
  }
}

const tokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().optional(),
});

/**
 * OAuth M2M (client credentials) against the workspace's `/oidc/v1/token`. The token is cached
 * until shortly before it expires; concurrent callers share one token request.
 */
export class OAuthM2M implements TokenSource {
  readonly method = "oauth-m2m" as const;
  readonly label: string;
  readonly #host: string;
  readonly #clientId: string;
  readonly #secret: string;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  #cached?: { token: string; refreshAt: number };
  #pending?: Promise<string>;
  /** How many tokens were fetched; shown in diagnostics and used by tests. */
  fetched = 0;

  constructor(
    host: string,
    clientId: string,
    clientSecret: string,
    opts: { fetch?: typeof fetch; clock?: Clock; label?: string } = {},
  ) {
    this.#host = normalizeHost(host);
    this.#clientId = clientId;
    this.#secret = clientSecret;
    this.#fetch = opts.fetch ?? fetch;
    this.#clock = opts.clock ?? REAL_CLOCK;
    this.label = opts.label ?? `OAuth M2M (client ${clientId.slice(0, 8)}…)`;
  }

  token(): Promise<string> {
    const c = this.#cached;
    if (c && this.#clock.now() < c.refreshAt) return Promise.resolve(c.token);
    this.#pending ??= this.#fetchToken().finally(() => this.#pending = undefined);
    return this.#pending;
  }

  invalidate(): boolean {
    this.#cached = undefined;
    return true;
  }

  /** Token requests are safe to repeat: retried twice on 429, 5xx and network errors. */
  async #fetchToken(): Promise<string> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#requestToken();
      } catch (e) {
        const status = e instanceof DatabricksError ? e.status : 0;
        const transient = status === 429 || status >= 500;
        if (!transient || attempt >= 3) throw e;
        await this.#clock.sleep(500 * 2 ** (attempt - 1));
      }
    }
  }

  async #requestToken(): Promise<string> {
    const path = "/oidc/v1/token";
    const basic = btoa(`${this.#clientId}:${this.#secret}`);
    let res: Response;
    try {
      res = await this.#fetch(this.#host + path, {
        method: "POST",
        headers: {
          authorization: `Basic ${basic}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "client_credentials", scope: "all-apis" }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new DatabricksError(
        `Getting an OAuth token from ${this.#host} failed: ${(e as Error).message}.`,
        "NETWORK_ERROR",
        502,
        undefined,
        "Check DATABRICKS_HOST and the network path to the workspace.",
        undefined,
        1,
        e,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      const err = errorFromResponse(res.status, text, res.headers, {
        method: "POST",
        path,
        what: "Getting an OAuth token (M2M)",
      });
      throw new DatabricksError(
        err.message,
        err.errorCode,
        res.status === 400 || res.status === 401 ? 401 : err.status,
        err.requestId,
        "Check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (the service principal's OAuth secret).",
        err.databricksMessage,
      );
    }
    let parsed;
    try {
      parsed = tokenAnswer.parse(JSON.parse(text));
    } catch {
      throw new DatabricksError(
        "Getting an OAuth token (M2M) failed: the answer had no access_token.",
        "UNEXPECTED_RESPONSE",
        502,
        requestIdFrom(res.headers),
        "A proxy may be answering for the workspace; check DATABRICKS_HOST.",
      );
    }
    const ttl = (parsed.expires_in ?? 3600) * 1000;
    // Refresh a minute early (or at 80% of very short lifetimes).
    const early = Math.min(60_000, ttl * 0.2);
    this.#cached = { token: parsed.access_token, refreshAt: this.#clock.now() + ttl - early };
    this.fetched++;
    return parsed.access_token;
  }

  toJSON(): unknown {
    return { method: this.method, label: this.label, secret: REDACTED };
  }
  [Symbol.for("Deno.customInspect")](): string {
    return `OAuthM2M(${this.label}, ${REDACTED})`;
  }
}

/** Connection settings. Any of the credential fields may be absent; precedence picks one. */
export interface DatabricksSettings {
  /** Workspace URL, with or without `https://`. May come from the profile. */
  host?: string;
  token?: string;
  clientId?: string;
  clientSecret?: string;
  /** Profile name in the config file (DATABRICKS_CONFIG_PROFILE); default "DEFAULT". */
  profile?: string;
  /** Config file path (DATABRICKS_CONFIG_FILE); default ~/.databrickscfg. */
  configFile?: string;
  /** The signed-in user's token forwarded by Databricks Apps (X-Forwarded-Access-Token). */
  forwardedToken?: string;
}

/** Reads the settings from the environment (the names the Databricks CLI and Apps use). */
export function settingsFromEnv(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): DatabricksSettings {
  const v = (k: string) => env[k]?.trim() || undefined;
  return {
    host: v("DATABRICKS_HOST"),
    token: v("DATABRICKS_TOKEN"),
    clientId: v("DATABRICKS_CLIENT_ID"),
    clientSecret: v("DATABRICKS_CLIENT_SECRET"),
    profile: v("DATABRICKS_CONFIG_PROFILE"),
    configFile: v("DATABRICKS_CONFIG_FILE") ??
      (v("HOME") ?? v("USERPROFILE")
        ? `${v("HOME") ?? v("USERPROFILE")}/.databrickscfg`
        : undefined),
  };
}

/** Parses a `.databrickscfg` (INI) file into sections of key → value. */
export function parseDatabricksCfg(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = "DEFAULT";
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1].trim();
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    (out[section] ??= {})[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}

function readProfile(settings: DatabricksSettings): Record<string, string> | undefined {
  if (!settings.configFile) return undefined;
  let text: string;
  try {
    text = Deno.readTextFileSync(settings.configFile);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && !settings.profile) return undefined;
    if (e instanceof Deno.errors.NotFound) {
      throw new WorkspaceError(
        `DATABRICKS_CONFIG_PROFILE=${settings.profile} but ${settings.configFile} does not exist.`,
        "CONFIG_MISSING",
        500,
        undefined,
        "Create the profile with `databricks auth login` or `databricks configure`, or unset it.",
      );
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      return undefined;
    }
    throw e;
  }
  const name = settings.profile ?? "DEFAULT";
  const sections = parseDatabricksCfg(text);
  const section = sections[name];
  if (!section && settings.profile) {
    throw new WorkspaceError(
      `Profile [${name}] is not in ${settings.configFile} (it has: ${
        Object.keys(sections).join(", ") || "no profiles"
      }).`,
      "CONFIG_MISSING",
      500,
      undefined,
      "Fix DATABRICKS_CONFIG_PROFILE or add the profile to the file.",
    );
  }
  return section;
}

/** The resolved host and token source, or a clear error saying what is missing. */
export function resolveAuth(
  settings: DatabricksSettings,
  opts: { fetch?: typeof fetch; clock?: Clock } = {},
): { host: string; auth: TokenSource } {
  // The profile is only consulted when the environment lacks a host or every credential.
  const envCreds = settings.forwardedToken || (settings.clientId && settings.clientSecret) ||
    settings.token;
  const profile = !settings.host || !envCreds ? readProfile(settings) : undefined;
  const hostRaw = settings.host ?? profile?.host;
  if (!hostRaw) {
    throw new WorkspaceError(
      "No Databricks workspace is configured: DATABRICKS_HOST is not set and no ~/.databrickscfg profile has a host.",
      "CONFIG_MISSING",
      500,
      undefined,
      "Set DATABRICKS_HOST (e.g. https://adb-123.azuredatabricks.net) and a credential.",
    );
  }
  const host = normalizeHost(hostRaw);
  if (settings.forwardedToken) {
    return {
      host,
      auth: new StaticToken(
        settings.forwardedToken,
        "forwarded-user",
        "signed-in user (forwarded)",
      ),
    };
  }
  if (settings.clientId && settings.clientSecret) {
    return { host, auth: new OAuthM2M(host, settings.clientId, settings.clientSecret, opts) };
  }
  if (settings.token) {
    return { host, auth: new StaticToken(settings.token, "pat", "personal access token") };
  }
  const name = settings.profile ?? "DEFAULT";
  if (profile?.client_id && profile?.client_secret) {
    return {
      host,
      auth: new OAuthM2M(host, profile.client_id, profile.client_secret, {
        ...opts,
        label: `profile [${name}] (OAuth M2M)`,
      }),
    };
  }
  if (profile?.token) {
    return { host, auth: new StaticToken(profile.token, "profile", `profile [${name}] (token)`) };
  }
  throw new WorkspaceError(
    `No credentials for ${host}: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, ` +
      `or a token in profile [${name}] of ${settings.configFile ?? "~/.databrickscfg"}.`,
    "CONFIG_MISSING",
    500,
    undefined,
    "Profiles using `databricks auth login` (U2M) are not supported; use a PAT or OAuth M2M.",
  );
}

/** The identities whose tokens are OAuth tokens, which the data-plane token exchange accepts. */
const OAUTH_METHODS: AuthMethod[] = ["oauth-m2m", "forwarded-user"];

/**
 * Data-plane tokens for route-optimized serving endpoints, as the SDK's `DataPlaneTokenSource`
 * gets them: the acting identity's OAuth token is exchanged at the workspace's `/oidc/v1/token`
 * (grant `urn:ietf:params:oauth:grant-type:jwt-bearer`, the endpoint's
 * `data_plane_info.query_info.authorization_details`, the token as `assertion`, no client
 * credentials). Each token is cached per identity and endpoint until 40 s before it expires.
 * PATs cannot be exchanged (the SDK refuses them the same way).
 */
export class DataPlaneTokens {
  readonly #cache = new Map<string, { token: string; refreshAt: number }>();
  readonly #pending = new Map<string, Promise<string>>();
  /** How many exchanges were made (tests and diagnostics). */
  exchanged = 0;

  /** A token source for one endpoint's data plane, exchanging `http`'s own identity's token. */
  source(
    http: HttpClient,
    endpoint: { name: string; url: string; authorizationDetails?: string },
  ): TokenSource {
    const where = `${endpoint.url}\n${endpoint.authorizationDetails ?? ""}`;
    return {
      method: http.auth.method,
      label: `data-plane token for endpoint ${endpoint.name}`,
      token: async () => {
        if (!OAUTH_METHODS.includes(http.auth.method)) {
          throw new WorkspaceError(
            `Endpoint ${endpoint.name} is route-optimized: it is queried at its own URL with a ` +
              `data-plane token, which only an OAuth identity can get (this app uses ${http.auth.label}).`,
            "ROUTE_OPTIMIZED_NEEDS_OAUTH",
            400,
            undefined,
            "Use OAuth M2M (DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET of a service principal with CAN_QUERY on the endpoint) instead of a personal access token.",
          );
        }
        if (!endpoint.authorizationDetails) {
          throw new WorkspaceError(
            `Endpoint ${endpoint.name} is route-optimized but the workspace gave no data_plane_info.query_info.authorization_details to exchange a token with.`,
            "UNEXPECTED_RESPONSE",
            502,
          );
        }
        const assertion = await http.auth.token();
        const key = `${assertion}\n${where}`;
        const hit = this.#cache.get(key);
        const now = http.clock.now();
        if (hit && now < hit.refreshAt) return hit.token;
        let pending = this.#pending.get(key);
        if (!pending) {
          pending = this.#exchange(http, endpoint.name, assertion, endpoint.authorizationDetails)
            .then(({ token, ttlMs }) => {
              this.#prune(http.clock.now());
              this.#cache.set(key, { token, refreshAt: http.clock.now() + ttlMs - 40_000 });
              return token;
            })
            .finally(() => this.#pending.delete(key));
          this.#pending.set(key, pending);
        }
        return await pending;
      },
      invalidate: () => {
        for (const k of this.#cache.keys()) if (k.endsWith(`\n${where}`)) this.#cache.delete(k);
        return true;
      },
    };
  }

  async #exchange(
    http: HttpClient,
    name: string,
    assertion: string,
    authorizationDetails: string,
  ): Promise<{ token: string; ttlMs: number }> {
    const form = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      authorization_details: authorizationDetails,
      assertion,
    });
    const answer = await http.json({
      method: "POST",
      path: "/oidc/v1/token",
      anonymous: true,
      idempotent: true,
      rawBody: new TextEncoder().encode(form.toString()),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      what: `Getting a data-plane token for endpoint ${name}`,
    }, tokenAnswer);
    this.exchanged++;
    return { token: answer.access_token, ttlMs: (answer.expires_in ?? 3600) * 1000 };
  }

  #prune(now: number): void {
    for (const [k, v] of this.#cache) if (v.refreshAt <= now) this.#cache.delete(k);
  }

  toJSON(): unknown {
    return { cached: this.#cache.size, tokens: REDACTED };
  }
  [Symbol.for("Deno.customInspect")](): string {
    return `DataPlaneTokens(${this.#cache.size} cached, ${REDACTED})`;
  }
}
