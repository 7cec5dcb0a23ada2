// Customer service: search by every lookup path, the order page (timeline, items with their
// previews, parcels, masked personal data with a reveal that asks why), tickets with their
// SLA clocks and the breach list, warranty claims with photos, and the order actions.
import { assetUrl, get, post, upload } from './api.js';
import { t, titleOf } from './i18n.js';
import { act, dialog, duration, errorBox, field, h, mount, state, table, time, toast, waitedSince } from './ui.js';
import { may, states } from './session.js';

function select(name, values, selected) {
  return h('select', { name }, values.map(([value, label]) => h('option', { value, selected: value === selected }, label)));
}

// --- search --------------------------------------------------------------------------------

export async function search(main) {
  const inputs = {
    number: h('input', { name: 'number', placeholder: 'KS00000042', size: 12 }),
    phone_last4: h('input', { name: 'phone_last4', inputmode: 'numeric', maxlength: 4, size: 5 }),
    name: h('input', { name: 'name', size: 8 }),
    phone: h('input', { name: 'phone', inputmode: 'numeric', size: 12 }),
    channel_ref: h('input', { name: 'channel_ref', size: 12 }),
    tracking_number: h('input', { name: 'tracking_number', size: 14 }),
    state: select('state', [['', t('any')], ...states('order').map((s) => [s, t(s)])], ''),
  };
  const results = h('div');
  const box = errorBox();
  const run = async () => {
    const query = new URLSearchParams();
    for (const [key, input] of Object.entries(inputs)) if (input.value.trim()) query.set(key, input.value.trim());
    query.set('limit', '50');
    const first = await get(`/api/v1/orders?${query}`);
    let cursor = first.next_cursor;
    mount(results, table({
      testid: 'search-results',
      rows: first.orders,
      pageSize: 15,
      more: cursor ? async () => {
        query.set('cursor', cursor);
        const page = await get(`/api/v1/orders?${query}`);
        cursor = page.next_cursor;
        return page.orders;
      } : undefined,
      columns: [
        { label: t('Order'), cell: (o) => h('a', { href: `#/cs/order/${o.number}` }, o.number) },
        { label: t('Customer'), cell: (o) => o.customer?.name ?? '—' },
        { label: t('Phone'), cell: (o) => o.customer?.phone ?? '—' },
        { label: t('State'), cell: (o) => state(o.state) },
        { label: t('Items'), cell: (o) => o.items.map((i) => i.product).join(', ') },
        { label: t('Created'), cell: (o) => time(o.created_at) },
      ],
    }));
  };
  const button = h('button', { type: 'submit', class: 'primary' }, t('Search'));
  const form = h('form', {
    class: 'card',
    onsubmit: (e) => { e.preventDefault(); act(button, box, run); },
  }, h('div', { class: 'fields' },
    field(t('Order number'), inputs.number),
    field(t('Last 4 digits of the phone'), inputs.phone_last4),
    field(t('Name or surname'), inputs.name),
    field(t('Whole phone number'), inputs.phone),
    field(t('Channel reference'), inputs.channel_ref),
    field(t('Tracking number'), inputs.tracking_number),
    field(t('State'), inputs.state),
    button), box);
  mount(main, h('h2', {}, t('Customer service')), form, results);
  await run();
}

// --- the order page ------------------------------------------------------------------------

// What the agent revealed on the order page stays revealed while the page is open (a redraw
// after a new ticket or claim fetches the masked overview again) and is forgotten on leaving it.
const revealedValues = new Map();  // field -> the revealed text, for `revealedOrder`
let revealedOrder = null;
window.addEventListener('hashchange', () => {
  if (revealedOrder && location.hash !== `#/cs/order/${revealedOrder}`) {
    revealedValues.clear();
    revealedOrder = null;
  }
});

export async function order(main, number) {
  const o = await get(`/api/v1/orders/${number}/overview`);
  const redraw = () => order(main, number);
  if (revealedOrder !== number) {
    revealedValues.clear();
    revealedOrder = number;
  }
  const c = o.customer ?? {};
  const a = c.address ?? {};
  const revealed = (fieldName, text) => (revealedValues.has(fieldName)
    ? h('span', { class: 'revealed', dataset: { field: fieldName } }, revealedValues.get(fieldName))
    : h('span', { dataset: { field: fieldName } }, text));
  const customer = h('table', { class: 'numbers', dataset: { testid: 'customer' } }, h('tbody', {},
    h('tr', {}, h('td', {}, t('Customer')), h('td', {}, revealed('name', c.name), ' ', revealButton(o, 'name', redraw))),
    h('tr', {}, h('td', {}, t('Phone')), h('td', {}, revealed('phone', c.phone), ' ', revealButton(o, 'phone', redraw))),
    h('tr', {}, h('td', {}, t('Address')), h('td', {}, revealed('address', [a.province, a.city, a.district, a.street, a.detail].join(' ')), ' ', revealButton(o, 'address', redraw)))));
  const items = h('div', { class: 'thumbs' }, o.items.map((i) => {
    const img = h('img', { alt: i.product });
    if (i.preview) assetUrl(i.preview).then((url) => { img.src = url; });
    return h('figure', { class: 'card' }, i.preview ? img : null,
      h('figcaption', {}, `#${i.id} ${i.product} `, state(i.state),
        o.state === 'delivered' || o.state === 'completed' ? claimButton(o, i, redraw) : null,
        attachButton(i, redraw)));
  }));
  const timeline = table({
    testid: 'timeline', rows: [...o.timeline].reverse(), pageSize: 10,
    columns: [
      { label: t('Created'), cell: (e) => time(e.at) },
      { label: t('Event'), cell: (e) => t(e.kind) + (e.item ? ` #${e.item}` : '') },
      { label: t('State'), cell: (e) => (e.to ? `${t(e.from || '—')} → ${t(e.to)}` : '') },
      { label: t('Reason'), cell: (e) => e.reason },
      { label: t('By'), cell: (e) => `${e.actor} (${t(e.role)})` },
    ],
  });
  mount(main,
    h('div', { class: 'row' }, h('h2', {}, `${t('Order')} ${o.number}`), state(o.state), h('span', { class: 'muted' }, o.channel_ref),
      h('span', { class: 'spacer' }), h('a', { href: '#/cs' }, '← ' + t('Search'))),
    h('div', { class: 'grid2' },
      h('div', {},
        h('div', { class: 'card' }, h('h3', {}, t('Items')), items),
        h('h3', {}, t('Timeline')), timeline),
      h('div', {},
        h('div', { class: 'card' }, customer),
        orderActions(o, redraw),
        ticketsCard(o, redraw),
        otherOrdersCard(o),
        parcelsCard(o),
        claimsCard(o))));
}

// The caller's other orders (the same phone), newest first, with their open tickets: what
// else the caller may be asking about, a click away.
function otherOrdersCard(o) {
  const others = o.other_orders ?? [];
  if (!others.length) return null;
  return h('div', { class: 'card', dataset: { testid: 'other-orders' } },
    h('h3', {}, `${t('The caller\'s other orders')} (${others.length})`),
    h('ul', { class: 'findings' }, others.map((x) => h('li', {},
      h('a', { href: `#/cs/order/${x.number}` }, x.number), ' ', state(x.state), ` ${time(x.created_at)} · ${x.products.join(', ')}`,
      x.open_tickets ? h('span', { class: 'bad' }, ` · ${x.open_tickets} ${t('open tickets')}`) : null))));
}

function revealButton(o, fieldName, redraw) {
  if (!may('POST /api/v1/orders/{id}/reveal')) return null;
  if (revealedValues.has(fieldName)) return null;  // already shown
  const button = h('button', { class: 'small', dataset: { reveal: fieldName } }, t('Reveal'));
  button.addEventListener('click', () => revealDialog(o, fieldName, redraw));
  return button;
}

// The reveal asks why, and for which ticket: an open ticket of this order, or a new phone
// ticket for the call the agent is on, which the server opens with the reveal and only when
// the reveal is allowed (a refused reveal leaves no ticket). The reason's length is checked
// here first too (the server's rule: 10-500 bytes).
function revealDialog(o, fieldName, redraw) {
  const open = o.tickets.filter((tk) => tk.state !== 'resolved' && tk.state !== 'closed');
  const reason = h('textarea', { name: 'reason', rows: 2, cols: 50, minlength: 10 });
  const ticket = select('ticket', [...open.map((tk) => [String(tk.id), `#${tk.id} ${tk.subject}`]), ['new', t('Open a new phone ticket for this call')]], open.length ? String(open[0].id) : 'new');
  const subject = h('input', { name: 'subject', size: 40, value: `${t('phone')}: ${o.number}` });
  const box = errorBox();
  const ok = h('button', { class: 'primary', dataset: { testid: 'reveal-confirm' } }, t('Reveal'));
  const d = dialog(`${t('Reveal the customer\'s')} ${t(fieldName)}`,
    h('div', {}, field(t('Why do you need it? (written to the audit log)'), reason), field(t('For ticket'), ticket), field(t('Subject of the new ticket'), subject), box),
    [h('button', { onclick: () => d.close() }, t('Cancel')), ok]);
  ok.addEventListener('click', () => act(ok, box, async () => {
    const why = reason.value.trim();
    const bytes = new TextEncoder().encode(why).length;
    if (bytes < 10 || bytes > 500) throw new Error(t('Say why you need it: at least 4 Chinese characters or 10 letters.'));
    // a new phone ticket is opened by the server with the reveal, only when the reveal holds
    const forTicket = ticket.value === 'new' ? { subject: subject.value.trim() || o.number } : Number(ticket.value);
    const answer = await post(`/api/v1/orders/${o.number}/reveal`, { field: fieldName, reason: why, ticket: forTicket });
    const v = answer.value;
    revealedValues.set(fieldName, typeof v === 'object' ? [v.province, v.city, v.district, v.street, v.detail].join(' ') : v);
    d.close();
    await redraw();  // the value shown, and the new ticket in the tickets card
  }));
}

function reasonDialog(title, then) {
  const reason = h('input', { name: 'reason', size: 44 });
  const box = errorBox();
  const ok = h('button', { class: 'primary' }, title);
  const d = dialog(title, h('div', {}, field(t('Reason'), reason), box), [h('button', { onclick: () => d.close() }, t('Close')), ok]);
  ok.addEventListener('click', () => act(ok, box, async () => { await then(reason.value.trim()); d.close(); }));
  reason.focus();
}

function orderActions(o, redraw) {
  const buttons = [];
  const event = (name, label, path, cls) => {
    if (!o.allowed_events.includes(name) || !may(`POST /api/v1/orders/{id}/${path}`)) return;
    buttons.push(h('button', {
      class: cls, dataset: { action: name },
      onclick: () => reasonDialog(label, async (reason) => {
        await post(`/api/v1/orders/${o.number}/${path}`, { reason, version: o.version });
        toast(`${o.number}: ${label}`);
        await redraw();
      }),
    }, label));
  };
  event('hold', t('Hold'), 'hold');
  event('resume', t('Resume'), 'resume');
  event('cancel', t('Cancel the order'), 'cancel', 'danger');
  // the server says whether the address may still change (before packing, or held from there)
  if (may('POST /api/v1/orders/{id}/address') && o.address_changeable) {
    buttons.push(h('button', { onclick: () => addressDialog(o, redraw) }, t('Change address')));
  }
  return buttons.length ? h('div', { class: 'card row' }, buttons) : null;
}

function addressDialog(o, redraw) {
  const names = ['province', 'city', 'district', 'street', 'detail'];
  const labels = { province: 'Province', city: 'City', district: 'District', street: 'Street', detail: 'Detail' };
  const inputs = Object.fromEntries(names.map((n) => [n, h('input', { name: n, size: 30 })]));
  const reason = h('input', { name: 'reason', size: 30 });
  const box = errorBox();
  const ok = h('button', { class: 'primary' }, t('Save'));
  const d = dialog(t('Change address'), h('div', {}, names.map((n) => field(t(labels[n]), inputs[n])), field(t('Reason'), reason), box),
    [h('button', { onclick: () => d.close() }, t('Close')), ok]);
  ok.addEventListener('click', () => act(ok, box, async () => {
    const address = Object.fromEntries(names.map((n) => [n, inputs[n].value.trim()]));
    await post(`/api/v1/orders/${o.number}/address`, { address, reason: reason.value.trim(), version: o.version });
    d.close();
    await redraw();
  }));
}

// --- tickets -------------------------------------------------------------------------------

function slaCell(tk) {
  const s = tk.sla;
  const breached = s.first_response_breached || s.resolution_breached;
  if (breached) return h('span', { class: 'breached' }, t('breached'));
  if (s.paused) return h('span', { class: 'muted' }, t('paused'));
  return h('span', {}, duration(s.resolution_minutes_left));
}

function ticketsCard(o, redraw) {
  const list = o.tickets.map((tk) => h('li', {}, h('a', { href: `#/cs/ticket/${tk.id}` }, `#${tk.id} ${tk.subject}`), ' ', state(tk.state), ' ', slaCell(tk)));
  const open = may('POST /api/v1/tickets') ? h('button', { class: 'small', dataset: { testid: 'open-ticket' }, onclick: () => ticketDialog(o, redraw) }, t('Open a ticket')) : null;
  return h('div', { class: 'card', dataset: { testid: 'tickets' } }, h('div', { class: 'row' }, h('h3', {}, t('Tickets')), h('span', { class: 'spacer' }), open),
    list.length ? h('ul', {}, list) : h('p', { class: 'muted' }, '—'));
}

function ticketDialog(o, redraw) {
  const type = select('type', ['query', 'complaint', 'change_request', 'fault'].map((v) => [v, t(v)]), 'query');
  const channel = select('channel', ['phone', 'chat'].map((v) => [v, t(v)]), 'phone');
  const level = select('level', [1, 2, 3, 4].map((v) => [String(v), String(v)]), '3');
  const subject = h('input', { name: 'subject', size: 44 });
  const body = h('textarea', { name: 'body', rows: 3, cols: 50 });
  const box = errorBox();
  const ok = h('button', { class: 'primary', dataset: { testid: 'ticket-confirm' } }, t('Open a ticket'));
  const d = dialog(t('Open a ticket'), h('div', {},
    h('div', { class: 'fields' }, field(t('Type'), type), field(t('Channel'), channel), field(t('Level'), level)),
    field(t('Subject'), subject), field(t('First message'), body), box), [h('button', { onclick: () => d.close() }, t('Close')), ok]);
  ok.addEventListener('click', () => act(ok, box, async () => {
    const created = await post('/api/v1/tickets', { order: o.number, type: type.value, channel: channel.value, level: Number(level.value), subject: subject.value.trim(), body: body.value.trim() || undefined });
    d.close();
    toast(`#${created.id} ${created.subject}`);
    await redraw();
  }));
}

export async function tickets(main) {
  const breachedOnly = h('input', { type: 'checkbox', name: 'breached', checked: location.search.includes('breached') });
  const stateSelect = select('state', [['', t('active')], ...states('ticket').map((s) => [s, t(s)]), ['all', t('all states')]], '');
  const list = h('div');
  const load = async () => {
    const query = new URLSearchParams({ limit: '200' });
    if (breachedOnly.checked) query.set('breached', 'true');
    if (stateSelect.value) query.set('state', stateSelect.value);
    const { tickets: rows } = await get(`/api/v1/tickets?${query}`);
    // the clock that runs out first on top; breached ones first of all
    rows.sort((a, b) => a.sla.resolution_minutes_left - b.sla.resolution_minutes_left);
    mount(list, table({
      testid: 'tickets', rows,
      columns: [
        { label: '#', cell: (tk) => h('a', { href: `#/cs/ticket/${tk.id}` }, `#${tk.id}`) },
        { label: t('Order'), cell: (tk) => (tk.order ? h('a', { href: `#/cs/order/${tk.order}` }, tk.order) : '—') },
        { label: t('Subject'), cell: (tk) => tk.subject },
        { label: t('Type'), cell: (tk) => t(tk.type) },
        { label: t('Level'), cell: (tk) => String(tk.level) },
        { label: t('State'), cell: (tk) => state(tk.state) },
        { label: t('Time left'), cell: slaCell },
      ],
    }));
  };
  breachedOnly.addEventListener('change', load);
  stateSelect.addEventListener('change', load);
  mount(main, h('h2', {}, t('Tickets')),
    h('div', { class: 'card row' }, h('label', {}, breachedOnly, ' ', t('Breached only')), field(t('State'), stateSelect)), list);
  await load();
}

export async function ticket(main, id) {
  const tk = await get(`/api/v1/tickets/${id}`);
  const redraw = () => ticket(main, id);
  const body = h('textarea', { rows: 3, cols: 60, name: 'message' });
  const internal = h('input', { type: 'checkbox' });
  const box = errorBox();
  const send = h('button', { class: 'primary', onclick: () => act(send, box, async () => {
    await post(`/api/v1/tickets/${id}/messages`, { body: body.value.trim(), internal: internal.checked });
    await redraw();
  }) }, t('Send'));
  const events = tk.allowed_events.map((event) => {
    const b = h('button', { class: 'small', onclick: () => act(b, box, async () => {
      await post(`/api/v1/tickets/${id}/transitions`, { event, version: tk.version });
      await redraw();
    }) }, event.replaceAll('_', ' '));
    return b;
  });
  mount(main,
    h('div', { class: 'row' }, h('h2', {}, `#${tk.id} ${tk.subject}`), state(tk.state), slaCell(tk), h('span', { class: 'spacer' }),
      tk.order ? h('a', { href: `#/cs/order/${tk.order}` }, `${t('Order')} ${tk.order}`) : null),
    h('div', { class: 'grid2' },
      table({
        testid: 'ticket-log', rows: tk.log, pageSize: 12,
        columns: [
          { label: t('Created'), cell: (e) => time(e.at) },
          { label: t('By'), cell: (e) => `${e.author} (${t(e.role)})` },
          { label: t('Type'), cell: (e) => t(e.kind) },
          { label: t('Detail'), cell: (e) => e.body },
        ],
      }),
      h('div', { class: 'card' },
        h('p', {}, `${t('Type')}: ${t(tk.type)} · ${t('Channel')}: ${t(tk.channel)} · ${t('Level')}: ${tk.level}`),
        h('p', { class: 'muted' }, `SLA: ${time(tk.sla.first_response_due)} / ${time(tk.sla.resolution_due)}`),
        field(t('Message to the customer'), body), h('label', {}, internal, ' ', t('Internal note')), h('div', { class: 'row' }, send, ...events), box)));
}

// --- parcels and claims --------------------------------------------------------------------

function parcelsCard(o) {
  const rows = (o.shipments ?? []).map((s) => h('li', {}, `${s.carrier} ${s.tracking_number} `, state(s.state), s.last_scan_at ? h('span', { class: 'muted' }, ` ${t('Last scan')} ${time(s.last_scan_at)}`) : null));
  return h('div', { class: 'card' }, h('h3', {}, t('Parcels')), rows.length ? h('ul', {}, rows) : h('p', { class: 'muted' }, '—'));
}

function claimsCard(o) {
  const rows = (o.claims ?? []).map((c) => h('li', {}, h('a', { href: `#/cs/claim/${c.id}` }, `#${c.id}`), ` ${t(c.reason)} `, state(c.state)));
  return h('div', { class: 'card', dataset: { testid: 'claims' } }, h('h3', {}, t('Claims')), rows.length ? h('ul', {}, rows) : h('p', { class: 'muted' }, '—'));
}

// --- a claim: review and decision ----------------------------------------------------------

// The claim with the customer's photos and the item as it was approved, and the decision the
// claim's state allows: start the review, reprint from the frozen print file (a new order),
// refund (amount and the payment's reference), reject (a note for the customer), fulfil, close.
export async function claim(main, id) {
  const c = await get(`/api/v1/claims/${id}`);
  const redraw = () => claim(main, id);
  // the parcels that bring the claimed piece back (a return: from the customer to the shop)
  const returns = may('GET /api/v1/orders/{id}/shipments')
    ? (await get(`/api/v1/orders/${c.order}/shipments`)).shipments.filter((s) => s.claim === c.id) : [];
  const photos = h('div', { class: 'thumbs', dataset: { testid: 'claim-photos' } }, c.evidence.map((e) => {
    const img = h('img', { alt: t('Photo') });
    if (e.check !== 'unreadable') assetUrl(e.asset).then((url) => { img.src = url; });
    img.addEventListener('click', () => img.classList.toggle('big'));
    return h('figure', { class: 'card' }, img, h('figcaption', { class: e.check === 'unreadable' ? 'bad' : 'muted' },
      e.check === 'readable' ? `${e.width_px} × ${e.height_px}` : `${t(e.check)}${e.reason ? ': ' + e.reason : ''}`));
  }));
  const note = h('textarea', { name: 'note', rows: 2, cols: 50, placeholder: t('A note for the customer') });
  const cents = h('input', { type: 'number', name: 'refund_cents', min: 1, size: 8 });
  const reference = h('input', { name: 'refund_reference', size: 20, placeholder: t('the payment\'s id') });
  const box = errorBox();
  const can = (event) => c.allowed_events.includes(event) && may('POST /api/v1/claims/{id}/transitions');
  const decide = (event, label, cls, body = () => ({})) => {
    if (!can(event)) return null;
    const b = h('button', { class: cls, dataset: { decision: event } }, label);
    b.addEventListener('click', () => act(b, box, async () => {
      await post(`/api/v1/claims/${c.id}/transitions`, { event, version: c.version, note: note.value.trim() || undefined, ...body() });
      toast(`${t('Claim')} #${c.id}: ${t(event)}`);
      await redraw();
    }));
    return b;
  };
  const refundBody = () => ({ refund_cents: Number(cents.value) || 0, refund_reference: reference.value.trim() });
  const buttons = [
    decide('start_review', t('Start the review'), 'primary'),
    decide('approve_reprint', t('Reprint from the approved file'), 'primary'),
    decide('approve_refund', t('Refund'), '', refundBody),
    decide('reject', t('Reject'), 'danger'),
    decide('fulfil', t('Fulfilled'), 'primary'),
    decide('close', t('Close the claim')),
  ].filter(Boolean);
  mount(main,
    h('div', { class: 'row' }, h('h2', {}, `${t('Claim')} #${c.id} · ${t(c.reason)}`), state(c.state), h('span', { class: 'spacer' }),
      h('a', { href: `#/cs/order/${c.order}` }, `← ${t('Order')} ${c.order}`)),
    h('div', { class: 'grid2' },
      h('div', {},
        h('div', { class: 'card' }, h('h3', {}, t('What the customer says')), h('p', { dataset: { testid: 'claim-description' } }, c.description || '—'),
          c.override_reason ? h('p', { class: 'muted' }, `${t('Opened outside the window because')}: ${c.override_reason}`) : null),
        h('h3', {}, t('Photos')), photos),
      h('div', {},
        h('div', { class: 'card numbers' }, h('table', {}, h('tbody', {},
          h('tr', {}, h('td', {}, t('Item')), h('td', {}, h('a', { href: `#/review/item/${c.item}` }, `#${c.item}`))),
          h('tr', {}, h('td', {}, t('Opened by')), h('td', {}, `${c.opened_by} · ${time(c.created_at)}`)),
          c.decision_note ? h('tr', {}, h('td', {}, t('Decision')), h('td', {}, c.decision_note)) : null,
          c.refund_cents ? h('tr', {}, h('td', {}, t('Refund')), h('td', {}, `${(c.refund_cents / 100).toFixed(2)} · ${c.refund_reference}`)) : null,
          c.reprint_order ? h('tr', {}, h('td', {}, t('Reprint order')), h('td', { dataset: { testid: 'reprint-order' } }, h('a', { href: `#/cs/order/${c.reprint_order}` }, c.reprint_order))) : null))),
        returnCard(c, returns, redraw),
        buttons.length ? h('div', { class: 'card' },
          field(t('Note'), note),
          can('approve_refund') ? h('div', { class: 'row' }, field(t('Refund (cents)'), cents), field(t('Payment reference'), reference)) : null,
          h('div', { class: 'row' }, buttons), box) : null)));
}

// The piece asked back: the return parcels of the claim with their waybill and state, and, while
// the claim is open, a courier to book one with (or the waybill the customer's courier gave).
function returnCard(c, returns, redraw) {
  const open = !['rejected', 'closed', 'fulfilled'].includes(c.state);
  const canAsk = open && may('POST /api/v1/claims/{id}/return-parcel');
  if (!returns.length && !canAsk) return null;
  const box = errorBox();
  const carrier = h('select', { name: 'return-carrier' });
  get('/api/v1/carriers').then(({ carriers }) => {
    for (const x of [...carriers.filter((y) => y.books), ...carriers.filter((y) => !y.books)]) carrier.append(h('option', { value: x.name }, x.display_name));
  });
  const waybill = h('input', { name: 'return-waybill', size: 18, placeholder: t('Leave empty: the carrier gives the waybill') });
  const ask = h('button', { dataset: { testid: 'ask-return' } }, t('Ask for the piece back'));
  ask.addEventListener('click', () => act(ask, box, async () => {
    const body = { carrier: carrier.value };
    if (waybill.value.trim()) body.tracking_number = waybill.value.trim();
    const parcel = await post(`/api/v1/claims/${c.id}/return-parcel`, body);
    toast(`${t('Return parcel')} ${parcel.tracking_number}`);
    await redraw();
  }));
  return h('div', { class: 'card', dataset: { testid: 'returns' } },
    h('h3', {}, t('Return parcel')),
    returns.map((p) => h('div', {}, `${p.tracking_number} · ${p.carrier} `, state(p.state))),
    canAsk ? h('div', { class: 'row' }, field(t('Carrier'), carrier), field(t('Tracking number'), waybill), ask) : null,
    box);
}

// Items that wait on a person (parked, failed, waiting for the customer's file) and, for
// customer service, the claims still to decide or fulfil: nothing drops out of sight.
export async function waiting(main) {
  const { items } = await get('/api/v1/items/waiting?limit=500');
  const engineer = may('GET /api/v1/review/queue');
  const claimsShown = may('GET /api/v1/claims');
  const claims = claimsShown ? (await get('/api/v1/claims')).claims.filter((c) => ['submitted', 'under_review', 'approved_reprint'].includes(c.state)) : [];
  mount(main,
    h('h2', {}, t('Needs a person')),
    h('h3', {}, `${t('Items')} (${items.length})`),
    table({
      testid: 'waiting-items', rows: items, pageSize: 50,
      columns: [
        { label: t('Order'), cell: (i) => (may('GET /api/v1/orders/{id}/overview') ? h('a', { href: `#/cs/order/${i.order}` }, i.order) : i.order) },
        { label: t('Item'), cell: (i) => h('a', { href: `#/review/item/${i.id}` }, `#${i.id}`) },
        { label: t('Product'), cell: (i) => titleOf(i) },
        { label: t('State'), cell: (i) => state(i.state) },
        { label: t('Why'), cell: (i) => i.reason || '—' },
        { label: t('Waiting'), cell: (i) => h('span', { title: time(i.waiting_since) }, waitedSince(i.waiting_since)) },
        { label: '', cell: (i) => h('a', { class: 'open', href: engineer ? `#/review/item/${i.id}` : `#/cs/order/${i.order}` }, t('Open') + ' →') },
      ],
    }),
    claimsShown ? [h('h3', {}, `${t('Claims')} (${claims.length})`),
      table({
        testid: 'waiting-claims', rows: claims, pageSize: 50,
        columns: [
          { label: t('Claim'), cell: (c) => h('a', { href: `#/cs/claim/${c.id}` }, `#${c.id}`) },
          { label: t('Order'), cell: (c) => h('a', { href: `#/cs/order/${c.order}` }, c.order) },
          { label: t('Reason'), cell: (c) => t(c.reason) },
          { label: t('State'), cell: (c) => state(c.state) },
          { label: t('Created'), cell: (c) => time(c.created_at) },
        ],
      })] : null);
}

// A new file from the customer for an item that waits for one: uploaded (checked by type),
// then the item takes it and is prepared again.
function attachButton(item, redraw) {
  if (!(item.allowed_events ?? []).includes('attach_asset') || !may('POST /api/v1/assets') || !may('POST /api/v1/items/{id}/transitions')) return null;
  const input = h('input', { type: 'file', hidden: true, dataset: { attach: item.id } });
  const button = h('button', { class: 'small', dataset: { testid: 'attach' }, onclick: () => input.click() }, t('Attach a new file'));
  input.addEventListener('change', () => act(button, null, async () => {
    if (!input.files.length) return;
    const asset = await upload(input.files[0]);
    await post(`/api/v1/items/${item.id}/transitions`, { event: 'attach_asset', asset: asset.id, version: item.version });
    toast(`#${item.id}: ${t('the new file is being prepared')}`);
    await redraw();
  }));
  return h('span', {}, ' ', button, input);
}

function claimButton(o, item, redraw) {
  if (!may('POST /api/v1/claims')) return null;
  return h('button', { class: 'small', dataset: { testid: 'claim' }, onclick: () => claimDialog(o, item, redraw) }, t('Warranty claim'));
}

// Photos are uploaded first (each becomes an asset), then the claim names them.
function claimDialog(o, item, redraw) {
  const reason = select('reason', ['damaged_in_transit', 'print_defect', 'colour_off', 'wrong_item', 'lost_parcel'].map((v) => [v, t(v)]), 'damaged_in_transit');
  const description = h('textarea', { name: 'description', rows: 3, cols: 50 });
  const photos = h('input', { type: 'file', name: 'photos', accept: 'image/png,image/jpeg,image/webp', multiple: true });
  const box = errorBox();
  const ok = h('button', { class: 'primary', dataset: { testid: 'claim-confirm' } }, t('Open the claim'));
  const d = dialog(`${t('Warranty claim')} · #${item.id}`, h('div', {}, field(t('Reason'), reason), field(t('Description'), description), field(t('Photos'), photos), box),
    [h('button', { onclick: () => d.close() }, t('Close')), ok]);
  ok.addEventListener('click', () => act(ok, box, async () => {
    const evidence = [];
    for (const file of photos.files) evidence.push((await upload(file)).id);
    await post('/api/v1/claims', { item: item.id, reason: reason.value, description: description.value.trim(), evidence });
    d.close();
    await redraw();
  }));
}
