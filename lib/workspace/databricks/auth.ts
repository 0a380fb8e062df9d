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

/**
 * Parses a `.databrickscfg` as the SDK's ConfigParser reads it: sections of key → value, keys
 * lower-cased, `key = value` or `key: value` (the first `=` or `:` splits), whole-line `#` / `;`
 * comments, indented lines continuing the previous value.
 */
export function parseDatabricksCfg(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section: string | undefined;
  let lastKey: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    if (/^\s/.test(rawLine) && section && lastKey) {
      out[section][lastKey] += `\n${line}`;
      continue;
    }
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1].trim();
      out[section] ??= {};
      lastKey = undefined;
      continue;
    }
    const m = /^(.*?)\s*[=:]\s*(.*)$/.exec(line);
    if (!m || !section) continue;
    lastKey = m[1].trim().toLowerCase();
    out[section][lastKey] = m[2].trim();
  }
  return out;
}

const SETTINGS_SECTION = "__settings__";

function cfgError(message: string, hint: string): WorkspaceError {
  return new WorkspaceError(message, "CONFIG_MISSING", 500, undefined, hint);
}

/**
 * The profile to use, as the SDK resolves it: DATABRICKS_CONFIG_PROFILE, else `[__settings__]
 * default_profile`, else `[DEFAULT]` when it has keys. A named profile must exist; the
 * fallback may be absent. `__settings__` is never a profile.
 */
function readProfile(
  settings: DatabricksSettings,
): { name: string; values: Record<string, string> } | undefined {
  if (!settings.configFile) return undefined;
  if (settings.profile === SETTINGS_SECTION) {
    throw cfgError(
      `${SETTINGS_SECTION} is a reserved section of ${settings.configFile}, not a profile.`,
      "Set DATABRICKS_CONFIG_PROFILE to one of the file's profiles.",
    );
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(settings.configFile);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && !settings.profile) return undefined;
    if (e instanceof Deno.errors.NotFound) {
      throw cfgError(
        `DATABRICKS_CONFIG_PROFILE=${settings.profile} but ${settings.configFile} does not exist.`,
        "Create the profile with `databricks auth login` or `databricks configure`, or unset it.",
      );
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      return undefined;
    }
    throw e;
  }
  const sections = parseDatabricksCfg(text);
  const fromSettings = sections[SETTINGS_SECTION]?.default_profile?.trim() || undefined;
  if (fromSettings === SETTINGS_SECTION) {
    throw cfgError(
      `[${SETTINGS_SECTION}] default_profile in ${settings.configFile} names the reserved section itself.`,
      "Set default_profile to one of the file's profiles.",
    );
  }
  const name = settings.profile ?? fromSettings ?? "DEFAULT";
  const named = !!(settings.profile ?? fromSettings);
  const values = sections[name];
  const profiles = Object.keys(sections).filter((k) => k !== SETTINGS_SECTION);
  if (!values || (!named && !Object.keys(values).length)) {
    if (!named) return undefined;
    throw cfgError(
      `Profile [${name}]${
        settings.profile ? "" : ` (the file's default_profile)`
      } is not in ${settings.configFile} (it has: ${profiles.join(", ") || "no profiles"}).`,
      "Fix DATABRICKS_CONFIG_PROFILE or [__settings__] default_profile, or add the profile.",
    );
  }
  return { name, values };
}

/**
 * The resolved host and token source, or a clear error saying what is missing. As in the SDK,
 * a host or credential in the environment means the config file is not read (unless
 * DATABRICKS_CONFIG_PROFILE names a profile); and host and credentials always come from one
 * place: the environment as a whole, or one profile as a whole, never a mix of the two.
 */
export function resolveAuth(
  settings: DatabricksSettings,
  opts: { fetch?: typeof fetch; clock?: Clock } = {},
): { host: string; auth: TokenSource } {
  const envCreds = !!(settings.forwardedToken || (settings.clientId && settings.clientSecret) ||
    settings.token);
  const envAny = envCreds || !!settings.host || !!settings.clientId || !!settings.clientSecret;
  // A complete environment wins as a whole; a partial one is not topped up from a profile.
  const useProfile = !(settings.host && envCreds) && (!!settings.profile || !envAny);
  const profile = useProfile ? readProfile(settings) : undefined;
  if (profile && envAny) {
    const env = [
      settings.host && "DATABRICKS_HOST",
      settings.token && "DATABRICKS_TOKEN",
      settings.clientId && "DATABRICKS_CLIENT_ID",
      settings.clientSecret && "DATABRICKS_CLIENT_SECRET",
    ].filter(Boolean).join(", ");
    throw cfgError(
      `DATABRICKS_CONFIG_PROFILE=${profile.name} is set together with ${env}; the host and ` +
        "credentials must come from one place, so they are not mixed.",
      `Unset ${env} to use profile [${profile.name}], or unset DATABRICKS_CONFIG_PROFILE and set ` +
        "DATABRICKS_HOST with a credential.",
    );
  }
  if (!profile && settings.host && !envCreds) {
    throw cfgError(
      `DATABRICKS_HOST=${settings.host} is set but no credential is: set DATABRICKS_TOKEN, or ` +
        "DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET. (A ~/.databrickscfg profile is not " +
        "mixed with an environment host; it may belong to another workspace.)",
      "Or unset DATABRICKS_HOST to use a profile as a whole.",
    );
  }
  const hostRaw = profile ? profile.values.host : settings.host;
  if (!hostRaw) {
    throw cfgError(
      profile
        ? `Profile [${profile.name}] of ${settings.configFile} has no host.`
        : "No Databricks workspace is configured: DATABRICKS_HOST is not set and no ~/.databrickscfg profile has a host.",
      "Set DATABRICKS_HOST (e.g. https://adb-123.azuredatabricks.net) and a credential.",
    );
  }
  const host = normalizeHost(hostRaw);
  if (!profile) {
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
    return { host, auth: new StaticToken(settings.token!, "pat", "personal access token") };
  }
  const { name, values } = profile;
  if (values.client_id && values.client_secret) {
    return {
      host,
      auth: new OAuthM2M(host, values.client_id, values.client_secret, {
        ...opts,
        label: `profile [${name}] (OAuth M2M)`,
      }),
    };
  }
  if (values.token) {
    return { host, auth: new StaticToken(values.token, "profile", `profile [${name}] (token)`) };
  }
  throw cfgError(
    `No credentials for ${host} in profile [${name}] of ${settings.configFile}: it needs a token, ` +
      "or client_id and client_secret.",
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
