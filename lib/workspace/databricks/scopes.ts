/**
 * Databricks Apps user authorization: which REST paths a forwarded user token may call, by the
 * OAuth scope the app declares (`user_api_scopes`). Everything else — jobs, code upload,
 * clusters, MLflow, Unity Catalog models — goes as the app's own service principal, because no
 * user scope covers it and the platform answers 403 outside the declared scopes.
 */

/** The user scopes Lakevision can use, and what each one lets the signed-in user's token do. */
export const USER_SCOPES = {
  "files.files": "read and write volume files (Files API)",
  "sql": "query Delta tables on the SQL warehouse",
  "serving.serving-endpoints": "list, create, update and query serving endpoints",
  "iam.current-user:read": "read who the signed-in user is (SCIM Me)",
} as const;
export type UserScope = keyof typeof USER_SCOPES;

/** Every scope name Lakevision knows, for validating LAKEVISION_USER_SCOPES. */
export const KNOWN_USER_SCOPES = Object.keys(USER_SCOPES) as UserScope[];

/** The user scope a REST path needs, or undefined when no user scope covers it. */
export function scopeForPath(path: string): UserScope | undefined {
  if (path.startsWith("/api/2.0/fs/")) return "files.files";
  if (path.startsWith("/api/2.0/sql/")) return "sql";
  if (path.startsWith("/api/2.0/serving-endpoints") || path.startsWith("/serving-endpoints/")) {
    return "serving.serving-endpoints";
  }
  if (path === "/api/2.0/preview/scim/v2/Me") return "iam.current-user:read";
  return undefined;
}

/** The hint for a 403 on a call made with the signed-in user's token. */
export function userScopeHint(path: string): string {
  const scope = scopeForPath(path);
  if (!scope) {
    return `No Databricks Apps user scope covers ${path}, so a user token is refused there; ` +
      "Lakevision makes this call as the app's service principal. Grant the permission to the " +
      "app's service principal instead.";
  }
  return `The signed-in user's token lacks the OAuth scope "${scope}" (to ${
    USER_SCOPES[scope]
  }). ` +
    `Add "${scope}" to the app's user authorization scopes (user_api_scopes) and to ` +
    "LAKEVISION_USER_SCOPES, redeploy, and have users sign in again; or remove it from " +
    "LAKEVISION_USER_SCOPES so the app makes this call as its service principal.";
}
