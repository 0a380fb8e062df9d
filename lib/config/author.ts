/** Who a config change is recorded as: the person's e-mail when the identity has one, else their name. */
export function authorOf(state: { user: { email?: string; name: string } }): string {
  return state.user.email ?? state.user.name;
}
