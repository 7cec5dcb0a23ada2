// Who is signed in (GET /api/v1/session): the role and the routes it may call. Views ask
// may('POST /api/v1/labels') before they show a button, so a role sees only what it can do.
let current = null;

export function setSession(value) {
  current = value;
}

export function session() {
  return current;
}

export function may(route) {
  return !!current && current.routes.includes(route);
}
