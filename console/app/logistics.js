// Logistics: the ready-to-pack list as a to-do list (create a parcel, print labels, pack, hand
// over), packing slips, labels for many parcels at once as one PDF in the browser's print
// dialog or one ZPL file, and the tracking board with the stuck parcels on top.
import { get, post, postForBlob } from './api.js';
import { t } from './i18n.js';
import { act, errorBox, field, h, mount, state, table, time, toast, dialog } from './ui.js';
import { may } from './session.js';

function download(blob, name) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
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

export async function packing(main) {
  let { orders } = await get('/api/v1/packing/queue?limit=2000');
  const selected = new Set();
  const box = errorBox();
  const output = h('div');
  const status = h('span', { class: 'muted', dataset: { testid: 'label-status' } });
  const list = h('div');
  const count = h('span', { class: 'muted', dataset: { testid: 'packing-count' } });
  // after each action the list is read again and redrawn in place (the printed labels' frame
  // and the selection stay)
  const redraw = async () => {
    ({ orders } = await get('/api/v1/packing/queue?limit=2000'));
    const open = new Set(orders.map((o) => o.order));
    for (const number of [...selected]) if (!open.has(number)) selected.delete(number);
    drawList();
  };
  const parcelsOf = () => orders.filter((o) => selected.has(o.order)).flatMap((o) => o.parcels.map((p) => p.id));

  const labels = async (format, button) => act(button, box, async () => {
    const shipments = parcelsOf();
    if (!shipments.length) throw new Error(t('Select parcels to print.'));
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
  const pdfButton = h('button', { class: 'primary', dataset: { testid: 'print-labels' } }, t('Print labels (PDF)'));
  pdfButton.addEventListener('click', () => labels('pdf', pdfButton));
  const zplButton = h('button', {}, t('Download ZPL'));
  zplButton.addEventListener('click', () => labels('zpl', zplButton));
  const slipButton = h('button', {}, t('Packing slips'));
  slipButton.addEventListener('click', () => act(slipButton, box, async () => {
    if (!selected.size) throw new Error(t('Select parcels to print.'));
    const { blob } = await postForBlob('/api/v1/packing-slips', { orders: [...selected] });
    printPdf(blob, output);
  }));
  const all = h('input', { type: 'checkbox', 'aria-label': 'all', onchange: (e) => {
    for (const o of orders) if (e.target.checked) selected.add(o.order); else selected.delete(o.order);
    for (const c of main.querySelectorAll('input[data-order]')) c.checked = e.target.checked;
  } });
  const canPrint = may('POST /api/v1/labels');

  const drawList = () => {
    count.textContent = String(orders.length);
    mount(list, table({
      testid: 'packing-queue', rows: orders, pageSize: 20,
      columns: [
        { label: '', cell: (o) => (canPrint ? h('input', { type: 'checkbox', dataset: { order: o.order }, checked: selected.has(o.order),
          onchange: (e) => (e.target.checked ? selected.add(o.order) : selected.delete(o.order)) }) : '') },
        { label: t('Order'), cell: (o) => o.order },
        { label: t('State'), cell: (o) => state(o.state) },
        { label: t('Waiting since'), cell: (o) => `${time(o.ready_since)} (${Math.round(o.waiting_hours)} ${t('h')})` },
        { label: t('Items'), cell: (o) => o.items.map((i) => i.title).join(', ') },
        { label: t('Parcels'), cell: (o) => o.parcels.map((p) => h('div', {}, `${p.tracking_number} `, state(p.state))) },
        { label: t('Next step'), cell: (o) => h('div', { class: 'row' }, h('span', {}, t(o.next)), nextAction(o, redraw)) },
      ],
    }));
  };
  drawList();
  mount(main,
    h('div', { class: 'row' }, h('h2', {}, t('Ready to pack')), count, h('span', { class: 'spacer' }),
      canPrint ? [h('label', {}, all, ' all'), pdfButton, zplButton, slipButton] : null, status),
    box, list, output);
}

function nextAction(o, redraw) {
  if (o.next === 'create a parcel' && may('POST /api/v1/orders/{id}/shipments')) {
    return h('button', { class: 'small', dataset: { testid: 'create-parcel' }, onclick: () => parcelDialog(o, redraw) }, t('Create a parcel'));
  }
  if (o.next === 'pack' && may('POST /api/v1/orders/{id}/transitions')) {
    const b = h('button', { class: 'small', dataset: { testid: 'pack' }, onclick: () => act(b, null, async () => {
      await post(`/api/v1/orders/${o.order}/transitions`, { event: 'pack', version: o.version });
      await redraw();
    }) }, t('Mark packed'));
    return b;
  }
  if (o.next === 'hand over' && may('POST /api/v1/shipments/{id}/transitions')) {
    // the last parcel handed over ships the order: it leaves this list
    const b = h('button', { class: 'small', dataset: { testid: 'hand-over' }, onclick: () => act(b, null, async () => {
      for (const p of o.parcels) if (p.state === 'label_printed') await post(`/api/v1/shipments/${p.id}/transitions`, { event: 'hand_over' });
      toast(`${o.order}: ${t('handed over')}`);
      await redraw();
    }) }, t('Hand over'));
    return b;
  }
  if (o.next === 'ship' && may('POST /api/v1/orders/{id}/transitions')) {
    const b = h('button', { class: 'small', dataset: { testid: 'ship' }, onclick: () => act(b, null, async () => {
      await post(`/api/v1/orders/${o.order}/transitions`, { event: 'ship', version: o.version });
      toast(`${o.order}: ${t('shipped')}`);
      await redraw();
    }) }, t('Ship'));
    return b;
  }
  return null;
}

// The carriers come from the server (GET /api/v1/carriers): the couriers its carriers file
// books with, manual for a courier booked by phone, simulated only on a demo or trial server.
// A booking carrier gives the waybill itself; for manual (or a waybill already on paper) the
// lead types or scans it.
async function parcelDialog(o, redraw) {
  const all = (await get('/api/v1/carriers')).carriers;
  // the couriers that book first: the usual choice is a click away, manual last
  const carriers = [...all.filter((c) => c.books), ...all.filter((c) => !c.books)];
  const carrier = h('select', { name: 'carrier' },
    ...carriers.map((c) => h('option', { value: c.name }, c.display_name)));
  const tracking = h('input', { name: 'tracking_number', size: 20, placeholder: 'SF1234567890123' });
  const hint = h('div', { class: 'muted' });
  const sync = () => {
    const chosen = carriers.find((c) => c.name === carrier.value);
    hint.textContent = chosen?.books ? t('Leave empty: the carrier gives the waybill') : t('Type or scan the courier\'s waybill');
  };
  carrier.addEventListener('change', sync);
  sync();
  const weight = h('input', { type: 'number', name: 'weight_g', min: 1 });
  const size = h('input', { name: 'size_mm', placeholder: '200x150x80', size: 12 });
  const box = errorBox();
  const ok = h('button', { class: 'primary', dataset: { testid: 'parcel-confirm' } }, t('Create a parcel'));
  const d = dialog(`${t('Create a parcel')} · ${o.order}`,
    h('div', { class: 'fields' }, field(t('Carrier'), carrier), field(t('Tracking number'), tracking), hint, field(t('Weight (g)'), weight), field(t('Size (mm)'), size), box),
    [h('button', { onclick: () => d.close() }, t('Close')), ok]);
  ok.addEventListener('click', () => act(ok, box, async () => {
    const body = { carrier: carrier.value };
    if (tracking.value.trim()) body.tracking_number = tracking.value.trim();
    if (weight.value) body.weight_g = Number(weight.value);
    if (size.value.trim()) body.size_mm = size.value.trim();
    const parcel = await post(`/api/v1/orders/${o.order}/shipments`, body);
    toast(`${o.order}: ${parcel.tracking_number}${parcel.routing_code ? ' · ' + parcel.routing_code : ''}`);
    d.close();
    await redraw();
  }));
}

export async function tracking(main) {
  const { shipments, by_state: byState } = await get('/api/v1/shipments/stuck?limit=2000');
  mount(main,
    h('h2', {}, t('Tracking')),
    h('div', { class: 'card' }, h('h3', {}, t('Parcels by state')),
      h('div', { class: 'counts' }, Object.entries(byState).map(([s, n]) => h('span', {}, `${t(s)}: ${n}`)))),
    h('h3', { class: 'bad' }, `${t('Stuck parcels')} (${shipments.length})`),
    table({
      testid: 'stuck', rows: shipments, pageSize: 20,
      columns: [
        { label: t('Order'), cell: (s) => (may('GET /api/v1/orders/{id}/overview') ? h('a', { href: `#/cs/order/${s.order}` }, s.order) : s.order) },
        { label: t('Tracking number'), cell: (s) => `${s.carrier} ${s.tracking_number}` },
        { label: t('State'), cell: (s) => state(s.state) },
        { label: t('Why'), cell: (s) => h('span', { class: 'stuck-row' }, s.stuck) },
        { label: t('Last scan'), cell: (s) => time(s.last_scan_at) },
      ],
    }));
}
