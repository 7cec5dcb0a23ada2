// Notifications to the channels (admin): the ones their endpoint never took (dead) with the
// last error, resent one by one or all at once once the channel has fixed its endpoint; the
// waiting and delivered ones on the filter, and where each channel's notifications go.
// GET /api/v1/webhooks, POST /api/v1/webhooks/{id}/resend, GET /api/v1/channels/webhooks.
import { get, post } from './api.js';
import { t } from './i18n.js';
import { act, errorBox, h, mount, table, time } from './ui.js';
import { may } from './session.js';

// the outbox's states, in words of their own (a parcel's "delivered" is another thing)
const stateWords = {
  dead: () => t('Not taken (dead)'),
  pending: () => t('Waiting to be sent'),
  delivered: () => t('Taken by the channel'),
};

export async function notifications(main) {
  const box = errorBox();
  const status = h('span', { class: 'muted', dataset: { testid: 'resend-status' } });
  const filter = h('select', { dataset: { testid: 'notification-state' }, onchange: () => redraw() },
    Object.entries(stateWords).map(([value, words]) => h('option', { value }, words())));
  const targets = h('p', { class: 'muted', dataset: { testid: 'webhook-targets' } });
  const list = h('div');
  const canResend = may('POST /api/v1/webhooks/{id}/resend');
  const selected = new Set();
  let rows = [];

  const resendAll = (button, ids) => act(button, box, async () => {
    if (!ids.length) throw new Error(t('Select the notifications to send again.'));
    const refused = [];
    for (const [k, id] of ids.entries()) {
      status.textContent = `${t('Sending again')} ${k + 1} / ${ids.length}…`;
      try {
        await post(`/api/v1/webhooks/${id}/resend`);
      } catch (e) {
        refused.push(`${id}: ${e.message}`);
      }
    }
    status.textContent = `${t('Queued to send again')} ${ids.length - refused.length} / ${ids.length} ✓`;
    await redraw();
    if (refused.length) throw new Error(refused.join(' · '));
  });

  const all = h('input', { type: 'checkbox', 'aria-label': 'all', dataset: { testid: 'select-all-notifications' }, onchange: (e) => {
    for (const r of rows) if (e.target.checked) selected.add(r.event_id); else selected.delete(r.event_id);
    for (const c of list.querySelectorAll('input[data-event]')) c.checked = e.target.checked;
  } });
  const resendSelected = h('button', { class: 'primary', dataset: { testid: 'resend-selected' }, hidden: !canResend }, t('Send the selected again'));
  resendSelected.addEventListener('click', () => resendAll(resendSelected, [...selected]));

  async function redraw() {
    const [{ notifications: found, webhook_url_configured: serverWide }, { webhooks }] = await Promise.all([
      get(`/api/v1/webhooks?state=${filter.value}&limit=1000`), get('/api/v1/channels/webhooks')]);
    rows = found;
    for (const id of [...selected]) if (!rows.some((r) => r.event_id === id)) selected.delete(id);
    all.checked = false;
    const dead = filter.value === 'dead';
    targets.textContent = [
      serverWide ? t('Channels without their own webhook: the server-wide one.') : t('No server-wide webhook: a channel without its own keeps its notifications waiting.'),
      ...webhooks.map((w) => `${w.channel} → ${w.url}`),
    ].join(' · ');
    mount(list, table({
      testid: 'notifications',
      pageSize: 25,
      rows,
      columns: [
        ...(dead && canResend ? [{ label: all, cell: (r) => h('input', { type: 'checkbox', 'aria-label': r.event_id, dataset: { event: r.event_id }, checked: selected.has(r.event_id),
          onchange: (e) => (e.target.checked ? selected.add(r.event_id) : selected.delete(r.event_id)) }) }] : []),
        { label: t('Event'), cell: (r) => r.event_id },
        { label: t('Type'), cell: (r) => r.type },
        { label: t('Order'), cell: (r) => (r.body?.data?.order ? h('a', { href: `#/cs/order/${r.body.data.order}` }, r.body.data.order) : '') },
        { label: t('Change'), cell: (r) => (r.body?.data?.to ? `${t(r.body.data.from || '—')} → ${t(r.body.data.to)}` : '') },
        { label: t('Channel'), cell: (r) => r.channel || '—' },
        { label: t('Created'), cell: (r) => time(r.created_at) },
        { label: t('Attempts'), cell: (r) => String(r.attempts) },
        { label: t('Last error'), cell: (r) => h('span', { class: r.last_error ? 'bad' : 'muted' }, r.last_error || '—') },
        { label: '', cell: (r) => (r.state === 'dead' && canResend
          ? (() => {
            const b = h('button', { class: 'small', dataset: { testid: 'resend' } }, t('Resend'));
            b.addEventListener('click', () => resendAll(b, [r.event_id]));
            return b;
          })()
          : h('span', { class: `state state-${r.state}` }, stateWords[r.state]?.() ?? r.state)) },
      ],
    }));
    resendSelected.hidden = !(dead && canResend);
  }

  mount(main, h('section', { class: 'card' },
    h('h2', {}, t('Notifications to channels')),
    h('p', { class: 'muted' }, t('A notification is dead when the channel’s endpoint refused it at every try. Once the channel has fixed its endpoint, send it again.')),
    targets,
    h('div', { class: 'toolbar' }, h('label', {}, t('State'), ' ', filter), resendSelected, status),
    box,
    list));
  await redraw();
}
