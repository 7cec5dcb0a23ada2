// The console's shell: sign-in with a staff account (name, password and the authenticator
// app's code; the session is an HttpOnly cookie), the navigation the role may use (from GET
// /api/v1/session), the language switch and a hash router (#/review, #/cs/order/KS00000001, ...).
import { del, get, post } from './api.js';
import { lang, setLang, t } from './i18n.js';
import { h, mount } from './ui.js';
import * as review from './review.js';
import * as cs from './cs.js';
import * as logistics from './logistics.js';
import * as admin from './admin.js';
import { may, session as current, setSession } from './session.js';

const main = document.getElementById('main');

const sections = [
  { path: '#/review', label: 'Review', needs: 'GET /api/v1/review/queue' },
  { path: '#/cs', label: 'Customer service', needs: 'GET /api/v1/orders/{id}/overview' },
  { path: '#/cs/tickets', label: 'Tickets', needs: 'GET /api/v1/tickets' },
  { path: '#/waiting', label: 'Needs a person', needs: 'GET /api/v1/items/waiting' },
  { path: '#/logistics', label: 'Logistics', needs: 'GET /api/v1/packing/queue' },
  { path: '#/logistics/tracking', label: 'Tracking', needs: 'GET /api/v1/shipments/stuck' },
  { path: '#/admin/notifications', label: 'Notifications', needs: 'GET /api/v1/webhooks' },
];

const routes = [
  [/^#\/review$/, () => review.queue(main)],
  [/^#\/review\/item\/(\d+)$/, (id) => review.page(main, Number(id))],
  [/^#\/cs$/, () => cs.search(main)],
  [/^#\/cs\/order\/([A-Za-z0-9]+)$/, (number) => cs.order(main, number)],
  [/^#\/cs\/tickets$/, () => cs.tickets(main)],
  [/^#\/cs\/claim\/(\d+)$/, (id) => cs.claim(main, Number(id))],
  [/^#\/waiting$/, () => cs.waiting(main)],
  [/^#\/cs\/ticket\/(\d+)$/, (id) => cs.ticket(main, Number(id))],
  [/^#\/logistics$/, () => logistics.packing(main)],
  [/^#\/logistics\/tracking$/, () => logistics.tracking(main)],
  [/^#\/admin\/notifications$/, () => admin.notifications(main)],
];

function signIn(message) {
  setSession(null);
  drawHeader();
  const field = (label, attrs) => {
    const input = h('input', { required: true, ...attrs });
    return [input, h('label', { class: 'field' }, h('span', {}, t(label)), input)];
  };
  const [name, nameField] = field('Name', { id: 'name', autocomplete: 'username', maxlength: 64 });
  const [password, passwordField] = field('Password', { id: 'password', type: 'password', autocomplete: 'current-password', maxlength: 128 });
  const [code, codeField] = field('Code', {
    id: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6,
  });
  const error = h('div', { class: 'error', role: 'alert', hidden: !message }, message || '');
  const submit = h('button', { type: 'submit', class: 'primary' }, t('Sign in'));
  const form = h('form', {
    class: 'card signin',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      try {
        await post('/api/v1/session', { name: name.value.trim(), password: password.value, code: code.value.trim() });
        password.value = '';
        await start();
      } catch (err) {
        code.value = '';
        error.textContent = err.message;
        error.hidden = false;
        code.focus();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h2', {}, t('Keepsake console')),
  nameField, passwordField, codeField,
  h('p', { class: 'muted' }, t('The code is the 6 digits your authenticator app shows for Keepsake. No account? An admin makes one: keepsake user create.')),
  error,
  submit);
  mount(main, form);
  name.focus();
}

function drawHeader() {
  const nav = document.getElementById('nav');
  const session = current();
  const shown = session ? sections.filter((s) => may(s.needs)) : [];
  mount(nav, shown.map((s) => h('a', { href: s.path, class: location.hash.startsWith(s.path) ? 'active' : '' }, t(s.label))));
  // the longest matching section is the active one (#/cs/tickets is not #/cs)
  const active = shown.filter((s) => location.hash === s.path || location.hash.startsWith(s.path + '/'))
    .sort((a, b) => b.path.length - a.path.length)[0];
  for (const a of nav.children) a.classList.toggle('active', active && a.getAttribute('href') === active.path);
  document.getElementById('who').textContent = session ? `${session.name} · ${t(session.role)}` : '';
  const out = document.getElementById('signout');
  out.hidden = !session;
  out.textContent = t('Sign out');
}

async function route() {
  const session = current();
  if (!session) return;
  drawHeader();
  const hash = location.hash || '';
  for (const [pattern, view] of routes) {
    const m = hash.match(pattern);
    if (m) {
      try {
        await view(...m.slice(1));
      } catch (e) {
        mount(main, h('div', { class: 'error', role: 'alert' }, e.message));
      }
      return;
    }
  }
  const first = sections.find((s) => may(s.needs));
  if (first) location.hash = first.path;
  else mount(main, h('p', { class: 'card' }, t('Your role'), ': ', t(session.role)));
}

async function start() {
  const [who, machines] = await Promise.all([get('/api/v1/session'), get('/api/v1/state-machines')]);
  setSession(who, machines);
  await route();
}

document.getElementById('lang').value = lang();
setLang(lang());
document.getElementById('lang').addEventListener('change', (e) => { setLang(e.target.value); drawHeader(); route(); });
document.getElementById('signout').addEventListener('click', async () => {
  try {
    await del('/api/v1/session');
  } finally {
    signIn();
  }
});
window.addEventListener('hashchange', route);
// a session that ended while the tab was open (idle, disabled): back to the sign-in, saying why
window.addEventListener('keepsake:signed-out', (e) => { if (current()) signIn(e.detail); });
// a session this browser still holds (another tab, a reload) goes straight in
start().catch((e) => signIn(e.status === 401 ? '' : e.message));
