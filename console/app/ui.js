// Small DOM helpers. Everything is built with createElement and textContent, never innerHTML:
// customer names, greetings and ticket messages are shown as text, whatever they contain.
import { t, lang } from './i18n.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function mount(parent, ...children) {
  parent.replaceChildren(...children.flat().filter(Boolean));
  return parent;
}

export function time(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', {
    month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  });
}

export function duration(minutes) {
  const sign = minutes < 0 ? '-' : '';
  const m = Math.abs(Math.round(minutes));
  if (m < 60) return `${sign}${m} ${t('min')}`;
  if (m < 48 * 60) return `${sign}${Math.floor(m / 60)} ${t('h')} ${m % 60} ${t('min')}`;
  return `${sign}${Math.floor(m / 1440)} ${t('d')} ${Math.floor((m % 1440) / 60)} ${t('h')}`;
}

export function waitedSince(iso) {
  return duration((Date.now() - new Date(iso).getTime()) / 60000);
}

export function state(name) {
  return h('span', { class: `state state-${name}` }, t(name));
}

// The error of an action, in words, where the action is; cleared by the next try.
export function errorBox() {
  const box = h('div', { class: 'error', role: 'alert', hidden: true });
  box.show = (e) => {
    box.textContent = e ? (e.message || String(e)) : '';
    box.hidden = !e;
  };
  return box;
}

// Runs an action from a button: disabled while it runs, its error shown in `box`.
export async function act(button, box, fn) {
  button.disabled = true;
  box?.show(null);
  try {
    await fn();
  } catch (e) {
    if (box) box.show(e);
    else toast(e.message, true);
  } finally {
    button.disabled = false;
  }
}

// Keys for a page: `handlers` by key ('a', 'n'), ignored while the person types in a field or
// holds a modifier, or while `active()` says no; dropped once `anchor` has left the document
// (the page was redrawn or left).
export function pageKeys(anchor, handlers, active = () => true) {
  const listener = (e) => {
    if (!document.body.contains(anchor)) { document.removeEventListener('keydown', listener); return; }
    if (!active() || e.ctrlKey || e.metaKey || e.altKey || ['INPUT', 'TEXTAREA', 'SELECT'].includes(e.target.tagName)) return;
    const handler = handlers[e.key.toLowerCase()];
    if (handler) { e.preventDefault(); handler(); }
  };
  document.addEventListener('keydown', listener);
}

export function toast(message, bad = false) {
  const el = h('div', { class: `toast${bad ? ' bad' : ''}`, role: 'status' }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}

// A table with a filter box and pages of `pageSize` rows. `columns`: [{label, cell(row)}].
// `more` (optional) loads the next page from the server when the rows run out.
export function table({ columns, rows, pageSize = 15, empty = t('Nothing here.'), more, testid }) {
  let page = 0;
  let filter = '';
  const body = h('tbody');
  const info = h('span', { class: 'muted' });
  const prev = h('button', { class: 'small', onclick: () => { page--; draw(); } }, '‹ ' + t('Previous'));
  const next = h('button', {
    class: 'small',
    onclick: async () => {
      if ((page + 1) * pageSize >= shown().length && more) {
        next.disabled = true;
        const extra = await more();
        rows = rows.concat(extra);
      }
      page++;
      draw();
    },
  }, t('Next') + ' ›');
  const search = h('input', {
    type: 'search', placeholder: t('Filter this list'), class: 'filter',
    oninput: (e) => { filter = e.target.value.trim().toLowerCase(); page = 0; draw(); },
  });
  const shown = () => (filter ? rows.filter((r) => JSON.stringify(r).toLowerCase().includes(filter)) : rows);
  function draw() {
    const list = shown();
    const slice = list.slice(page * pageSize, (page + 1) * pageSize);
    mount(body, slice.length ? slice.map((row) => h('tr', {}, columns.map((c) => h('td', {}, c.cell(row)))))
      : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, empty)));
    const pages = Math.max(1, Math.ceil(list.length / pageSize));
    info.textContent = `${t('page')} ${page + 1} / ${pages}${more ? '+' : ''} · ${list.length} ${t('rows')}`;
    prev.disabled = page === 0;
    next.disabled = !(more && (page + 1) * pageSize >= list.length && list.length > 0) && page + 1 >= pages;
  }
  draw();
  return h('div', { class: 'table', dataset: testid ? { testid } : {} },
    h('div', { class: 'table-tools' }, search, h('span', { class: 'spacer' }), info, prev, next),
    h('table', {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c.label)))), body));
}

// A progress bar fed by polling a job (GET /api/v1/jobs/{id}) until it ends.
export function progressBar() {
  const bar = h('progress', { max: 100, value: 0 });
  const label = h('span', { class: 'muted' });
  const el = h('div', { class: 'progress', dataset: { testid: 'progress' } }, bar, label);
  el.update = (job) => {
    bar.value = job.progress ?? 0;
    label.textContent = `${job.progress ?? 0} % · ${t(job.phase || job.state)}`;
  };
  return el;
}

export function dialog(title, content, actions) {
  const el = h('dialog', { class: 'dialog' },
    h('h3', {}, title), content, h('div', { class: 'actions' }, actions));
  document.body.append(el);
  el.addEventListener('close', () => el.remove());
  el.showModal();
  return el;
}

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
}
