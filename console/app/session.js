// Who is signed in (GET /api/v1/session): the role and the routes it may call. Views ask
// may('POST /api/v1/labels') before they show a button, so a role sees only what it can do.
// The state machines (GET /api/v1/state-machines) name every state: filters list them from
// here, never from literals, so the console and the server cannot spell a state two ways.
let current = null;
let machines = {};

export function setSession(value, stateMachines = {}) {
  current = value;
  machines = stateMachines;
}

export function session() {
  return current;
}

export function may(route) {
  return !!current && current.routes.includes(route);
}

// The states of the order, item, ticket, claim or shipment machine, in the server's order.
export function states(machine) {
  return machines[machine]?.states ?? [];
}
