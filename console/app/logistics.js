// Logistics: the ready-to-pack list as a to-do list (create a parcel, print labels, pack, hand
// over), packing slips, labels for many parcels at once as one PDF in the browser's print
// dialog or one ZPL file, and the tracking board with the stuck parcels on top.
import { get, post, postForBlob } from './api.js';
import { notice, t, titleOf } from './i18n.js';
import { act, errorBox, field, h, mount, state, table, time, toast, dialog } from './ui.js';
import { may } from './session.js';

function download(blob, name) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// The carriers the server offers (GET /api/v1/carriers: the couriers its carriers file books
// with, manual for a courier booked by phone, simulated only on a demo or trial server), the
// ones that book first: the usual choice is the default, manual last. As a <select>.
async function carrierSelect(attrs) {
  const all = (await get('/api/v1/carriers')).carriers;
  const carriers = [...all.filter((c) => c.books), ...all.filter((c) => !c.books)];
  const select = h('select', attrs, ...carriers.map((c) => h('option', { value: c.name }, c.display_name)));
  select.carriers = carriers;
  select.chosen = () => carriers.find((c) => c.name === select.value);
  return select;
}

// The PDF in a frame of its own, and the browser's print dialog for it.
function printPdf(blob, holder) {
  const frame = h('iframe', { class: 'label-frame', title: 'PDF', dataset: { testid: 'label-pdf' } });
  frame.src = URL.createObjectURL(blob);
  frame.addEventListener('load', () => {
    // a browser under automation (the tests) has no one to answer the dialog: the request is
    // recorded on the frame instead
    if (navigator.webdriver) {
      frame.dataset.print = 'requested';
      return;
    }
    try {
      frame.contentWindow.print();
    } catch (e) {
      // the viewer prints from its own toolbar where the frame cannot be scripted
    }
  });
  mount(holder, frame);
}

// Asks before a step that cannot be taken back or costs paper; resolves true on "yes".
function confirmStep(title, text, yes) {
  return new Promise((resolve) => {
    const ok = h('button', { class: 'primary', dataset: { testid: 'confirm' } }, yes);
    const d = dialog(title, h('p', {}, text), [h('button', { onclick: () => d.close() }, t('Cancel')), ok]);
    ok.addEventListener('click', () => { resolve(true); d.close(); });
    d.addEventListener('close', () => resolve(false));
    ok.focus();
  });
}

// The next step of one order, as its row's button, the bulk buttons and the scanner take it.
// A parcel is made with the courier chosen above the list and the products' presets (weight,
// box) on the server.
async function takeNextStep(o, carrier, pickup = '') {
  const collect = pickup ? { pickup_at: pickup } : {};
  switch (o.next) {
    case 'create a parcel':
      return post(`/api/v1/orders/${o.order}/shipments`, { carrier, ...collect });
    case 'send what is ready':
      // a split: the made items go ahead, the rest follows when it is made
      return post(`/api/v1/orders/${o.order}/shipments`, { carrier, items: o.unparcelled_ready, ...collect });
    case 'print labels':
      throw new Error(t('its label is not printed yet: select it and print'));
    case 'pack':
      return post(`/api/v1/orders/${o.order}/transitions`, { event: 'pack', version: o.version });
    case 'hand over':
      // the last parcel handed over ships the order: it leaves this list
      for (const p of o.parcels) {
        if (p.state === 'label_printed') await post(`/api/v1/shipments/${p.id}/transitions`, { event: 'hand_over' });
      }
      return null;
    case 'ship':
      return post(`/api/v1/orders/${o.order}/transitions`, { event: 'ship', version: o.version });
    default:
      throw new Error(o.next);
  }
}

// The packing list at volume: select, make the parcels (courier and presets), print, pack and
// hand over the selected in one go each; or work order by order with a barcode scanner (the
// packing slip carries the order number, the label the waybill): each scan takes that order's
// next step and the box keeps the focus for the next scan. The day's cut-off per courier shows
// what is still to hand over.
export async function packing(main) {
  let { orders } = await get('/api/v1/packing/queue?limit=2000');
  const courier = await carrierSelect({ name: 'courier', dataset: { testid: 'courier' } });
  // a courier to come and collect the parcels made now, where the courier books pickups (SF)
  const pickup = h('input', { type: 'datetime-local', name: 'pickup', dataset: { testid: 'pickup' } });
  const pickupLabel = h('label', {}, `${t('Courier collects from')} `, pickup);
  const syncPickup = () => { pickupLabel.hidden = !courier.chosen()?.books_pickup; };
  courier.addEventListener('change', syncPickup);
  syncPickup();
  const pickupAt = () => (courier.chosen()?.books_pickup ? pickup.value : '');
  const carriers = courier.carriers;
  const selected = new Set();
  const box = errorBox();
  const output = h('div');
  const status = h('span', { class: 'muted', dataset: { testid: 'label-status' } });
  const list = h('div');
  const count = h('span', { class: 'muted', dataset: { testid: 'packing-count' } });
  const cutOff = h('div', { class: 'counts', dataset: { testid: 'cut-off' } });
  // after each action the list is read again and redrawn in place (the printed labels' frame
  // and the selection stay)
  const redraw = async () => {
    ({ orders } = await get('/api/v1/packing/queue?limit=2000'));
    const open = new Set(orders.map((o) => o.order));
    for (const number of [...selected]) if (!open.has(number)) selected.delete(number);
    drawList();
  };
  const chosen = () => orders.filter((o) => selected.has(o.order));
  const live = (p) => p.state !== 'cancelled';
  const parcelsOf = () => chosen().flatMap((o) => o.parcels.filter(live));

  // one step over every selected order whose next step it is, one request at a time, with
  // the count as it goes; what was refused is listed with its reason, the rest goes on
  const bulk = (button, step, doing) => act(button, box, async () => {
    const todo = chosen().filter((o) => o.next === step);
    if (!todo.length) throw new Error(`${t('None of the selected orders is at this step')}: ${t(step)}`);
    const refused = [];
    for (const [k, o] of todo.entries()) {
      status.textContent = `${doing} ${k + 1} / ${todo.length}…`;
      try {
        await takeNextStep(o, courier.value, pickupAt());
      } catch (e) {
        refused.push(`${o.order}: ${e.message}`);
      }
    }
    status.textContent = `${doing} ${todo.length - refused.length} / ${todo.length} ✓`;
    await redraw();
    if (refused.length) throw new Error(refused.join(' · '));
  });

  const labels = async (format, button) => act(button, box, async () => {
    const parcels = parcelsOf().filter((p) => p.state === 'created' || p.state === 'label_printed');
    if (!parcels.length) throw new Error(t('Select parcels to print.'));
    // a label printed before is printed again only when the lead says so
    const again = parcels.filter((p) => p.state !== 'created').length;
    if (again && !(await confirmStep(t('Print again?'), `${again} ${t('of these labels were printed before. Print them again?')}`, t('Print again')))) return;
    const shipments = parcels.map((p) => p.id);
    const { blob, response } = await postForBlob('/api/v1/labels', { shipments, size: '100x150', format });
    const batch = response.headers.get('X-Keepsake-Batch');
    // parcels whose label could not be made are left out of the file, each with its reason
    const failed = JSON.parse(response.headers.get('X-Keepsake-Failed') || '[]');
    status.textContent = `${shipments.length - failed.length} ${t('labels in batch')} ${batch}` +
      failed.map((f) => ` · ${t('left out')} #${f.shipment}: ${f.reason}`).join('');
    if (format === 'pdf') printPdf(blob, output);
    else download(blob, `labels-${batch}.zpl`);
    await redraw();
  });
  const canPrint = may('POST /api/v1/labels');
  const button = (testid, label, onclick, cls) => {
    const b = h('button', { class: cls, dataset: { testid } }, label);
    b.addEventListener('click', () => onclick(b));
    return b;
  };
  const createButton = button('create-parcels', t('Create parcels'), (b) => bulk(b, 'create a parcel', t('Parcels made')));
  const pdfButton = button('print-labels', t('Print labels (PDF)'), (b) => labels('pdf', b), 'primary');
  const zplButton = button('zpl', t('Download ZPL'), (b) => labels('zpl', b));
  const slipButton = button('packing-slips', t('Packing slips'), (b) => act(b, box, async () => {
    if (!selected.size) throw new Error(t('Select parcels to print.'));
    const { blob } = await postForBlob('/api/v1/packing-slips', { orders: [...selected] });
    printPdf(blob, output);
  }));
  const packButton = button('pack-selected', t('Pack'), (b) => bulk(b, 'pack', t('Packed')));
  const handOverButton = button('hand-over-selected', t('Hand over'), async (b) => {
    const todo = chosen().filter((o) => o.next === 'hand over');
    const parcels = todo.flatMap((o) => o.parcels.filter((p) => p.state === 'label_printed')).length;
    if (todo.length && !(await confirmStep(t('Hand over'), `${parcels} ${t('parcels of')} ${todo.length} ${t('orders go to the courier now.')}`, t('Hand over')))) return;
    await bulk(b, 'hand over', t('Handed over'));
  });
  const all = h('input', { type: 'checkbox', 'aria-label': 'all', dataset: { testid: 'select-all' }, onchange: (e) => {
    for (const o of orders) if (e.target.checked) selected.add(o.order); else selected.delete(o.order);
    for (const c of main.querySelectorAll('input[data-order]')) c.checked = e.target.checked;
  } });

  // the scanner types the code and Enter; the box takes the focus back after every scan
  const scan = h('input', { type: 'search', name: 'scan', size: 28, autocomplete: 'off', dataset: { testid: 'scan' },
    placeholder: t('Scan a packing slip or a label') });
  const scanLog = h('ul', { class: 'scan-log', dataset: { testid: 'scan-log' } });
  const said = (text, bad) => {
    scanLog.prepend(h('li', { class: bad ? 'bad' : 'ok' }, text));
    while (scanLog.children.length > 6) scanLog.lastChild.remove();
  };
  scan.addEventListener('keydown', async (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const code = scan.value.trim();
    scan.value = '';
    if (!code) return;
    const upper = code.toUpperCase();
    const o = orders.find((x) => x.order.toUpperCase() === upper || x.parcels.some((p) => p.tracking_number.toUpperCase() === upper));
    if (!o) {
      said(`${code}: ${t('not in the packing list')}`, true);
    } else {
      try {
        await takeNextStep(o, courier.value, pickupAt());
        said(`${o.order}: ${t(o.next)} ✓`);
        await redraw();
      } catch (err) {
        said(`${o.order}: ${err.message}`, true);
      }
    }
    scan.focus();
  });

  const drawCutOff = () => {
    // parcels not yet handed to their courier, by courier, against its cut-off today
    const waiting = new Map();
    for (const o of orders) {
      for (const p of o.parcels) {
        if (p.state === 'created' || p.state === 'label_printed') waiting.set(p.carrier, (waiting.get(p.carrier) ?? 0) + 1);
      }
    }
    const now = new Date();
    mount(cutOff, [...waiting.entries()].map(([name, n]) => {
      const c = carriers.find((x) => x.name === name);
      const [hh, mm] = (c?.cut_off ?? '18:00').split(':').map(Number);
      const at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), hh, mm);
      const left = Math.round((at - now) / 60000);
      const when = left >= 0 ? `${Math.floor(left / 60)} ${t('h')} ${left % 60} ${t('min')}` : t('past the cut-off');
      return h('span', { class: left < 60 ? 'bad' : '', dataset: { carrier: name } },
        `${c?.display_name ?? name} ${c?.cut_off ?? ''}: ${n} ${t('to hand over')} (${when})`);
    }));
  };

  const drawList = () => {
    count.textContent = String(orders.length);
    all.checked = orders.length > 0 && orders.every((o) => selected.has(o.order));
    drawCutOff();
    mount(list, table({
      testid: 'packing-queue', rows: orders, pageSize: 50,
      columns: [
        { label: '', cell: (o) => (canPrint ? h('input', { type: 'checkbox', dataset: { order: o.order }, checked: selected.has(o.order),
          onchange: (e) => (e.target.checked ? selected.add(o.order) : selected.delete(o.order)) }) : '') },
        { label: t('Order'), cell: (o) => o.order },
        { label: t('State'), cell: (o) => state(o.state) },
        { label: t('Waiting since'), cell: (o) => `${time(o.ready_since)} (${Math.round(o.waiting_hours)} ${t('h')})` },
        { label: t('Items'), cell: (o) => itemsCell(o) },
        { label: t('Parcels'), cell: (o) => o.parcels.map((p) => h('div', {}, `${p.tracking_number} `, state(p.state),
          p.pickup_at ? h('span', { class: 'muted' }, ` ${t('collected from')} ${p.pickup_at.slice(5, 16)}`) : null,
          // the carrier drew its own label: a PDF of this size prints it
          p.carrier_label_size ? h('span', { class: 'muted', title: t('The carrier drew this label itself; a PDF of this size prints it') },
            ` · ${t('label drawn by the carrier')} ${p.carrier_label_size}`) : null)) },
        { label: t('Next step'), cell: (o) => h('div', { class: 'row' }, h('span', {}, t(o.next)), nextAction(o, redraw, courier)) },
      ],
    }));
  };
  drawList();
  mount(main,
    h('div', { class: 'row' }, h('h2', {}, t('Ready to pack')), count, h('span', { class: 'spacer' }),
      h('label', {}, `${t('Scan')} `, scan)),
    cutOff,
    canPrint ? h('div', { class: 'row toolbar' }, h('label', {}, all, ' ', t('all')),
      h('label', {}, `${t('Courier')} `, courier), pickupLabel, createButton, pdfButton, zplButton, slipButton, packButton, handOverButton) : null,
    h('div', { class: 'row' }, status), scanLog,
    box, list, output);
  scan.focus();
}

function nextAction(o, redraw, courier) {
  const stepButton = (testid, label, route) => {
    if (!may(route)) return null;
    const b = h('button', { class: 'small', dataset: { testid }, onclick: () => act(b, null, async () => {
      await takeNextStep(o, courier.value);  // pack, hand over, ship: no booking
      toast(`${o.order}: ${label}`);
      await redraw();
    }) }, label);
    return b;
  };
  if (o.next === 'create a parcel' && may('POST /api/v1/orders/{id}/shipments')) {
    return h('button', { class: 'small', dataset: { testid: 'create-parcel' }, onclick: () => parcelDialog(o, redraw) }, t('Create a parcel'));
  }
  if (o.next === 'send what is ready' && may('POST /api/v1/orders/{id}/shipments')) {
    return h('button', { class: 'small', dataset: { testid: 'send-ready' }, onclick: () => parcelDialog(o, redraw) }, t('Send what is ready'));
  }
  if (o.next === 'pack') return stepButton('pack', t('Mark packed'), 'POST /api/v1/orders/{id}/transitions');
  if (o.next === 'hand over') return stepButton('hand-over', t('Hand over'), 'POST /api/v1/shipments/{id}/transitions');
  if (o.next === 'ship') return stepButton('ship', t('Ship'), 'POST /api/v1/orders/{id}/transitions');
  return null;
}

// Each item of the order with where it is: in which parcel, ready, or still being made.
function itemsCell(o) {
  const parcelOf = new Map();
  for (const p of o.parcels) {
    if (p.state === 'cancelled') continue;
    for (const id of p.items ?? []) parcelOf.set(id, p.tracking_number);
  }
  return h('div', { dataset: { testid: 'items' } }, o.items.filter((i) => i.state !== 'cancelled').map((i) => h('div', {},
    titleOf(i), ' ',
    parcelOf.has(i.id) ? h('span', { class: 'muted' }, `${t('in parcel')} ${parcelOf.get(i.id)}`)
      : i.state === 'produced' ? state('produced') : h('span', { class: 'bad' }, t('still in production')))));
}

// A booking carrier gives the waybill itself; for manual (or a waybill already on paper) the
// lead types or scans it. For an order still in production the made items are ticked (the
// parcel goes ahead with them; the rest follows in another).
async function parcelDialog(o, redraw) {
  const carrier = await carrierSelect({ name: 'carrier' });
  const tracking = h('input', { name: 'tracking_number', size: 20, placeholder: 'SF1234567890123' });
  const hint = h('div', { class: 'muted' });
  const sync = () => {
    hint.textContent = carrier.chosen()?.books ? t('Leave empty: the carrier gives the waybill') : t('Type or scan the courier\'s waybill');
  };
  carrier.addEventListener('change', sync);
  sync();
  // left empty, the server takes the products' presets
  const weight = h('input', { type: 'number', name: 'weight_g', min: 1, placeholder: t('preset') });
  const pickup = h('input', { type: 'datetime-local', name: 'pickup_at' });
  const pickupField = field(t('Courier collects from'), pickup);
  const syncPickup = () => { pickupField.hidden = !carrier.chosen()?.books_pickup; };
  carrier.addEventListener('change', syncPickup);
  syncPickup();
  const size = h('input', { name: 'size_mm', placeholder: t('preset'), size: 12 });
  const box = errorBox();
  const split = o.next === 'send what is ready';
  const ticks = split ? o.items.filter((i) => o.unparcelled_ready.includes(i.id)).map((i) => h('input', { type: 'checkbox', checked: true, dataset: { item: i.id } })) : [];
  const choice = split ? h('div', { class: 'field', dataset: { testid: 'split-items' } },
    h('span', {}, t('Items in this parcel')),
    ...ticks.map((c) => h('label', {}, c, ' ', titleOf(o.items.find((i) => i.id === Number(c.dataset.item))))),
    h('small', { class: 'muted' }, `${o.items_in_production} ${t('still in production: they follow in another parcel')}`)) : null;
  const ok = h('button', { class: 'primary', dataset: { testid: 'parcel-confirm' } }, split ? t('Send what is ready') : t('Create a parcel'));
  const d = dialog(`${split ? t('Send what is ready') : t('Create a parcel')} · ${o.order}`,
    h('div', { class: 'fields' }, choice, field(t('Carrier'), carrier), field(t('Tracking number'), tracking), hint, field(t('Weight (g)'), weight), field(t('Size (mm)'), size), pickupField, box),
    [h('button', { onclick: () => d.close() }, t('Close')), ok]);
  ok.addEventListener('click', () => act(ok, box, async () => {
    const body = { carrier: carrier.value };
    if (split) {
      body.items = ticks.filter((c) => c.checked).map((c) => Number(c.dataset.item));
      if (!body.items.length) throw new Error(t('Tick the items that go in this parcel.'));
    }
    if (tracking.value.trim()) body.tracking_number = tracking.value.trim();
    if (weight.value) body.weight_g = Number(weight.value);
    if (size.value.trim()) body.size_mm = size.value.trim();
    if (!pickupField.hidden && pickup.value && !body.tracking_number) body.pickup_at = pickup.value;
    const parcel = await post(`/api/v1/orders/${o.order}/shipments`, body);
    toast(`${o.order}: ${parcel.tracking_number}${parcel.routing_code ? ' · ' + parcel.routing_code : ''}` +
      (parcel.note ? ` · ${parcel.note}` : ''));
    d.close();
    await redraw();
  }));
  // Enter in any field creates the parcel (a scanner types the waybill and Enter)
  d.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target.tagName === 'INPUT') { e.preventDefault(); ok.click(); }
  });
  (carrier.chosen()?.books ? weight : tracking).focus();
}

export async function tracking(main) {
  const { shipments, by_state: byState } = await get('/api/v1/shipments/stuck?limit=2000');
  const carrierNames = new Map((await get('/api/v1/carriers')).carriers.map((c) => [c.name, c.display_name]));
  mount(main,
    h('h2', {}, t('Tracking')),
    h('div', { class: 'card' }, h('h3', {}, t('Parcels by state')),
      h('div', { class: 'counts' }, Object.entries(byState).map(([s, n]) => h('span', {}, `${t(s)}: ${n}`)))),
    h('h3', { class: 'bad' }, `${t('Stuck parcels')} (${shipments.length})`),
    table({
      testid: 'stuck', rows: shipments, pageSize: 20,
      columns: [
        { label: t('Order'), cell: (s) => (may('GET /api/v1/orders/{id}/overview') ? h('a', { href: `#/cs/order/${s.order}` }, s.order) : s.order) },
        { label: t('Tracking number'), cell: (s) => `${carrierNames.get(s.carrier) ?? s.carrier} ${s.tracking_number}` },
        { label: t('State'), cell: (s) => state(s.state) },
        { label: t('Why'), cell: (s) => h('span', { class: 'stuck-row' },
          notice({ code: `stuck_${s.stuck_code}`, params: { state: t(s.state), hours: s.stuck_hours, limit: s.stuck_limit_h }, detail: s.stuck })) },
        { label: t('Last scan'), cell: (s) => time(s.last_scan_at) },
        { label: '', cell: (s) => (['exception', 'returned', 'expired'].includes(s.state) && may('POST /api/v1/orders/{id}/shipments')
          ? h('button', { class: 'small', dataset: { testid: 'send-again', shipment: s.id }, onclick: () => sendAgainDialog(s, () => tracking(main)) }, t('Send again'))
          : null) },
      ],
    }));
}

// A parcel its courier lost, returned or gave up on goes out again as a new parcel for the
// same order (the courier chosen here, the products' presets), with the reason on the
// timeline; it then waits on the packing list for its label and hand-over.
async function sendAgainDialog(failed, redraw) {
  const carrier = await carrierSelect({ name: 'carrier' });
  const reason = h('input', { name: 'reason', size: 44 });
  const tracking = h('input', { name: 'tracking_number', size: 20, placeholder: t('Leave empty: the carrier gives the waybill') });
  const box = errorBox();
  const ok = h('button', { class: 'primary', dataset: { testid: 'send-again-confirm' } }, t('Send again'));
  const d = dialog(`${t('Send again')} · ${failed.order} · ${failed.tracking_number}`,
    h('div', { class: 'fields' }, field(t('Carrier'), carrier), field(t('Tracking number'), tracking), field(t('Reason'), reason), box),
    [h('button', { onclick: () => d.close() }, t('Close')), ok]);
  reason.focus();
  ok.addEventListener('click', () => act(ok, box, async () => {
    if (!reason.value.trim()) throw new Error(`${t('Reason')}?`);
    const body = { carrier: carrier.value, replaces: failed.id, reason: reason.value.trim() };
    if (tracking.value.trim()) body.tracking_number = tracking.value.trim();
    const parcel = await post(`/api/v1/orders/${failed.order}/shipments`, body);
    toast(`${failed.order}: ${parcel.tracking_number} · ${t('on the packing list')}`);
    d.close();
    await redraw();
  }));
}
