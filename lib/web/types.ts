/**
 * The types a route module sees. Shaped like Fresh 1.x (`Handlers`, `PageProps`, `ctx.render`)
 * so that moving to real Fresh later is mechanical.
 */
import type { ComponentType } from "preact";
import type { Settings } from "@/fresh.config.ts";
import type { Workspace } from "@/lib/workspace/types.ts";

/** Per-request state, filled by the kernel and `_middleware.ts` files. */
export interface State {
  requestId: string;
  settings: Settings;
  workspace: Workspace;
  /** The acting person: forwarded by Databricks Apps, else the local OS user. */
  user: { name: string; email?: string; forwardedToken?: string };
  // deno-lint-ignore no-explicit-any
  [key: string]: any;
}

/** What a handler gets besides the Request. */
export interface RouteContext<Data = unknown> {
  params: Record<string, string>;
  url: URL;
  state: State;
  /** Renders the route's page component with `data`. */
  render(data?: Data, init?: ResponseInit): Promise<Response>;
  renderNotFound(): Promise<Response>;
  /** Post/Redirect/Get helper: 303 by default. */
  redirect(location: string, status?: number): Response;
}

export type Handler<Data = unknown> = (
  req: Request,
  ctx: RouteContext<Data>,
) => Response | Promise<Response>;

/** Either one handler for every method, or one per method. */
export type Handlers<Data = unknown> =
  | Handler<Data>
  | Partial<Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", Handler<Data>>>;

/** Props of a page component. */
export interface PageProps<Data = unknown> {
  data: Data;
  url: URL;
  params: Record<string, string>;
  state: State;
}

/** Props of `_layout.tsx` and `_app.tsx` components. */
export interface LayoutProps {
  Component: ComponentType;
  url: URL;
  state: State;
}

/** Props of the `_500.tsx` page. */
export interface ErrorPageProps {
  status: number;
  message: string;
  requestId: string;
  hint?: string;
  url: URL;
}

/** What `_middleware.ts` exports as `handler`. */
export type MiddlewareHandler = (
  req: Request,
  ctx: { state: State; url: URL; next(): Promise<Response> },
) => Response | Promise<Response>;

/** A route module as loaded from `routes/`. */
export interface RouteModule {
  handler?: Handlers<unknown>;
  default?: ComponentType<PageProps<unknown>>;
}
