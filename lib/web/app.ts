/**
 * The kernel: builds a Hono app from `routes/` with Fresh's conventions, wires the middleware,
 * serves static files and island bundles, and turns every error into one consistent response.
 */
import { Hono } from "hono";
import { compress } from "hono/compress";
import { h } from "preact";
import type { ComponentType, VNode } from "preact";
import type { Settings } from "@/fresh.config.ts";
import {
  BadRequestError,
  hostPathHider,
  HttpError,
  ServiceUnavailableError,
  WorkspaceError,
} from "@/lib/errors.ts";
import type { Workspace } from "@/lib/workspace/types.ts";
import { workspaceForRequest } from "@/lib/workspace/mod.ts";
import { modelServingErrorResponse, onInvocationPath } from "@/lib/serving/invocation_error.ts";
import { ensureBundle } from "./bundle.ts";
import { ensureOrtFiles } from "./ort_files.ts";
import { registerIsland } from "./islands.ts";
import {
  accessLog,
  allowedHosts,
  bodyLimit,
  createLogger,
  type Logger,
  requestIdMiddleware,
  sameOrigin,
  securityHeaders,
} from "./middleware.ts";
import { renderDocument } from "./render.ts";
import { buildRouteTable, type RouteFile, walkFiles } from "./routes.ts";
import { serveStatic } from "./static.ts";
import type {
  ErrorPageProps,
  Handler,
  MiddlewareHandler,
  PageProps,
  RouteContext,
  RouteModule,
  State,
} from "./types.ts";

/** Everything the kernel needs to build the app. */
export interface AppOptions {
  settings: Settings;
  workspace: Workspace;
  /** Project root (where routes/, islands/, static/ live). */
  root: string;
  logger?: Logger;
}

type Env = { Variables: { requestId: string; nonce: string } };

// deno-lint-ignore no-explicit-any
type AnyComponent = ComponentType<any>;

/** Builds the app. */
export async function createApp(opts: AppOptions): Promise<Hono<Env>> {
  const { settings, workspace, root } = opts;
  const log = opts.logger ?? createLogger(settings.logLevel);
  const bundle = await ensureBundle(root);
  const ortProblem = await ensureOrtFiles(root);
  if (ortProblem) log("warn", ortProblem);
  for (const [name] of Object.entries(bundle.islands)) {
    const mod = await import(toFileUrl(`${root}/islands/${name}.tsx`));
    registerIsland(name, mod.default);
  }

  const table = buildRouteTable(await walkFiles(`${root}/routes`));
  const load = async (rel: string) => await import(toFileUrl(`${root}/routes/${rel}`));
  const modules = new Map<string, Record<string, unknown>>();
  for (
    const f of [
      ...table.routes.flatMap((r) => [r.file, ...r.layouts, ...r.middlewares]),
      table.app,
      table.notFound,
      table.error,
    ]
  ) {
    if (f && !modules.has(f)) modules.set(f, await load(f));
  }
  const App = table.app ? modules.get(table.app)!.default as AnyComponent : undefined;
  const NotFoundPage = table.notFound
    ? modules.get(table.notFound)!.default as AnyComponent
    : undefined;
  const ErrorPage = table.error ? modules.get(table.error)!.default as AnyComponent : undefined;
  // Error and not-found pages keep the root layout so the navigation stays.
  const rootLayoutFile = ["_layout.tsx", "_layout.ts"].find((f) => modules.has(f)) ??
    table.routes.find((r) => r.layouts[0] && !r.layouts[0].includes("/"))?.layouts[0];
  const rootLayouts = rootLayoutFile ? [modules.get(rootLayoutFile)!.default as AnyComponent] : [];

  const app = new Hono<Env>();
  // Pages and error messages show volume paths, never the server's folders (those stay in the log).
  const hidePaths = hostPathHider(settings.dataDir);
  const hidePathsInHtml = hostPathHider(settings.dataDir, { html: true });

  const stateFor = (
    c: {
      req: { raw: Request; header(n: string): string | undefined };
      get(k: "requestId"): string;
    },
  ): State => {
    // The identity headers are the Apps proxy's; anywhere else any client could set them.
    const trusted = settings.behindAppsProxy;
    const email = trusted ? c.req.header("x-forwarded-email") : undefined;
    const name = (trusted ? c.req.header("x-forwarded-preferred-username") : undefined) ?? email ??
      Deno.env.get("USER") ?? "local user";
    const headers = trusted ? c.req.raw.headers : withoutForwardedToken(c.req.raw.headers);
    return {
      requestId: c.get("requestId"),
      settings,
      workspace: workspaceForRequest(workspace, headers),
      user: {
        name,
        email,
        forwardedToken: trusted ? c.req.header("x-forwarded-access-token") : undefined,
      },
    };
  };

  const renderHtml = (
    // deno-lint-ignore no-explicit-any
    page: VNode<any>,
    layouts: AnyComponent[],
    url: URL,
    state: State,
    nonce: string,
    status: number,
    headers?: HeadersInit,
  ) => {
    const html = hidePathsInHtml(
      renderDocument({ page, layouts, app: App, url, state, bundle, nonce }),
    );
    const res = new Response(html, { status, headers });
    res.headers.set("Content-Type", "text/html; charset=utf-8");
    res.headers.set("Cache-Control", "no-store");
    return res;
  };

  const wantsJson = (req: Request, url: URL) =>
    url.pathname.startsWith("/api/") || onInvocationPath(url.pathname) ||
    (req.headers.get("accept")?.includes("application/json") &&
      !req.headers.get("accept")?.includes("text/html"));

  app.onError((thrown, c) => {
    const url = new URL(c.req.url);
    const requestId = c.get("requestId") ?? "-";
    const err = clientFault(thrown);
    if (err !== thrown) {
      // A bad request that reached code without its own check: a 4xx, logged so it gets one.
      log("warn", "bad request reached a handler unchecked", {
        requestId,
        path: url.pathname,
        status: (err as HttpError).status,
        error: thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown),
      });
    }
    const known = err instanceof HttpError;
    if (!known) {
      log("error", "unhandled error", {
        requestId,
        path: url.pathname,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    // The local endpoints' invocation path answers as Model Serving does, whatever refused the
    // request (the host and origin checks, the body limit, or the route).
    if (onInvocationPath(url.pathname)) {
      return modelServingErrorResponse(err, { requestId, hide: hidePaths });
    }
    const status = known ? err.status : 500;
    const message = known ? hidePaths(err.message) : "Something went wrong on the server.";
    const hint = err instanceof WorkspaceError && err.hint ? hidePaths(err.hint) : undefined;
    if (err instanceof ServiceUnavailableError) {
      c.header("Retry-After", String(Math.max(1, Math.ceil(err.retryAfterSeconds))));
    }
    if (wantsJson(c.req.raw, url) || !ErrorPage) {
      return c.json({
        error: {
          message,
          status,
          requestId,
          ...(err instanceof WorkspaceError ? { code: err.errorCode, hint } : {}),
          ...(known && err.details !== undefined
            ? { details: JSON.parse(hidePaths(JSON.stringify(err.details))) }
            : {}),
        },
      }, status as 500);
    }
    const props: ErrorPageProps = { status, message, requestId, hint, url };
    return renderHtml(
      h(ErrorPage, props),
      rootLayouts,
      url,
      stateFor(c),
      c.get("nonce") ?? "",
      status,
    );
  });

  app.use(requestIdMiddleware());
  app.use(accessLog(log));
  app.use(allowedHosts(settings));
  app.use(securityHeaders());
  app.use(async (c, next) => {
    // SSE must stream unbuffered; everything else may be compressed.
    if (c.req.header("accept")?.includes("text/event-stream")) return await next();
    return await compress()(c, next);
  });
  app.use(sameOrigin(settings));
  app.use(bodyLimit(settings.maxBodyBytes));

  app.get("/_lv/*", (c) => serveStatic(`${root}/static`, new URL(c.req.url).pathname, true));

  for (const route of table.routes) {
    const mod = modules.get(route.file)! as RouteModule;
    const layouts = route.layouts.map((l) => modules.get(l)!.default as AnyComponent);
    const middlewares = route.middlewares.map((m) => modules.get(m)!.handler as MiddlewareHandler);
    app.all(route.pattern, async (c) => {
      const req = c.req.raw;
      const url = new URL(req.url);
      const state = stateFor(c);
      const params = decodeParams(c.req.param() as Record<string, string>, route);
      const nonce = c.get("nonce");
      const ctx: RouteContext<unknown> = {
        params,
        url,
        state,
        render: (data, init) => {
          if (!mod.default) throw new Error(`${route.file} has no page component to render`);
          const props: PageProps<unknown> = { data, url, params, state };
          return Promise.resolve(
            renderHtml(
              h(mod.default, props),
              layouts,
              url,
              state,
              nonce,
              init?.status ?? 200,
              init?.headers,
            ),
          );
        },
        renderNotFound: () => Promise.resolve(notFound(url, state, nonce)),
        redirect: (location, status = 303) =>
          new Response(null, { status, headers: { Location: location } }),
      };
      const run = () => dispatch(mod, req, ctx, route);
      let i = 0;
      const next = (): Promise<Response> => {
        const mw = middlewares[i++];
        return mw ? Promise.resolve(mw(req, { state, url, next })) : run();
      };
      return await next();
    });
  }

  const notFound = (url: URL, state: State, nonce: string) => {
    if (url.pathname.startsWith("/api/") || !NotFoundPage) {
      return Response.json(
        { error: { message: `No such endpoint: ${url.pathname}`, status: 404 } },
        {
          status: 404,
        },
      );
    }
    return renderHtml(h(NotFoundPage, { url }), rootLayouts, url, state, nonce, 404);
  };

  app.notFound(async (c) => {
    const url = new URL(c.req.url);
    if (c.req.method === "GET" || c.req.method === "HEAD") {
      const res = await serveStatic(`${root}/static`, url.pathname, false);
      if (res.status !== 404) return res;
    }
    return notFound(url, stateFor(c), c.get("nonce"));
  });

  return app;
}

async function dispatch(
  mod: RouteModule,
  req: Request,
  ctx: RouteContext<unknown>,
  route: RouteFile,
): Promise<Response> {
  const method = req.method === "HEAD" ? "GET" : req.method;
  const h = mod.handler;
  if (typeof h === "function") return await h(req, ctx);
  const fn = h?.[method as keyof typeof h] as Handler<unknown> | undefined;
  if (fn) return await fn(req, ctx);
  if (method === "GET" && mod.default) return await ctx.render(undefined);
  const allowed = [
    ...Object.keys(h ?? {}),
    ...(mod.default && !(h && "GET" in h) ? ["GET"] : []),
  ];
  throw new HttpError(
    405,
    `${req.method} is not allowed on ${new URL(req.url).pathname} (${route.file}); ` +
      `allowed: ${allowed.join(", ") || "none"}.`,
  );
}

function decodeParams(raw: Record<string, string>, route: RouteFile): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of route.params) {
    const v = raw[name];
    if (v === undefined) continue;
    try {
      out[name] = decodeURIComponent(v);
    } catch {
      throw new HttpError(400, `The URL part "${v}" is not valid percent-encoding.`);
    }
  }
  return out;
}

/**
 * Errors that only a malformed request causes — a body that is not the form or JSON it claims,
 * a name too long for a KV key or a file name, input nested deep enough to exhaust the stack —
 * become a 4xx saying so (never the host path or other internals); anything else is unchanged.
 */
export function clientFault(err: unknown): unknown {
  if (err instanceof HttpError || !(err instanceof Error)) return err;
  const msg = err.message;
  if (err instanceof SyntaxError && /JSON/.test(msg)) {
    return new BadRequestError(`The body is not valid JSON: ${msg}.`);
  }
  if (
    err instanceof TypeError &&
    /form data|MultipartParser|boundary|can not be decoded|Unable to parse body/i.test(msg)
  ) {
    return new BadRequestError("The request body is not a well-formed form.");
  }
  if (err instanceof TypeError && /^Key too large/.test(msg)) {
    return new BadRequestError("A name or id in the request is too long.");
  }
  if ((err as { code?: string }).code === "ENAMETOOLONG") {
    return new BadRequestError("A path or file name in the request is too long.");
  }
  if (err instanceof RangeError && /call stack/i.test(msg)) {
    return new BadRequestError("The request is nested too deeply to process.");
  }
  return err;
}

function withoutForwardedToken(headers: Headers): Headers {
  if (!headers.has("x-forwarded-access-token")) return headers;
  const out = new Headers(headers);
  out.delete("x-forwarded-access-token");
  return out;
}

/** A file path as a file:// URL string. */
export function toFileUrl(path: string): string {
  const abs = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  return new URL(`file://${abs.split("/").map(encodeURIComponent).join("/")}`).href;
}
