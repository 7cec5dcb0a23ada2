// Modeling engineers: the review queue and the review page. A figure shows the original and
// the repaired model in the 3D viewer, the printability numbers and the findings of the
// preparation report; a 2D item its print preview and the crop. Approve, rework with
// fine-tuning (the preparation runs again, with its progress shown), or escalate.
import { assetBuffer, assetUrl, get, post } from './api.js';
import { notice, t, titleOf } from './i18n.js';
import { act, errorBox, field, h, mount, pageKeys, progressBar, state, table, time, toast, waitedSince } from './ui.js';
import { may } from './session.js';

let products = null;
async function productKind(id) {
  products ??= (await get('/api/v1/products')).products;
  return products.find((p) => p.id === id)?.kind;
}

// A print whose only warning is a resolution between the refusal limit and the wanted one
// (150-300 dpi): the engineer may approve many of those at once.
function onlyLowDpi(i) {
  return i.kept_share === undefined && (i.notices ?? []).length > 0
    && i.notices.every((n) => n.code === 'low_dpi' && (n.params?.dpi ?? 0) >= 150);
}

export async function queue(main) {
  const { items } = await get('/api/v1/review/queue?limit=200');
  const selected = new Set();
  const box = errorBox();
  const status = h('span', { class: 'muted', dataset: { testid: 'bulk-status' } });
  const thumb = (i) => {
    if (!i.preview) return '—';
    const img = h('img', { class: 'thumb', alt: '' });
    assetUrl(i.preview).then((url) => { img.src = url; });
    return img;
  };
  const bulk = h('button', { dataset: { testid: 'approve-selected' } }, t('Approve the selected'));
  bulk.addEventListener('click', () => act(bulk, box, async () => {
    const chosen = items.filter((i) => selected.has(i.id));
    if (!chosen.length) throw new Error(t('Select prints whose only warning is the resolution.'));
    const refused = [];
    for (const [k, i] of chosen.entries()) {
      status.textContent = `${t('Approved')} ${k} / ${chosen.length}…`;
      try {
        await post(`/api/v1/items/${i.id}/transitions`, { event: 'approve', version: i.version, reason: t('approved in bulk: only a resolution warning') });
      } catch (e) {
        refused.push(`#${i.id}: ${e.message}`);
      }
    }
    toast(`${t('Approved')} ${chosen.length - refused.length} / ${chosen.length}`);
    await queue(main);
    if (refused.length) throw new Error(refused.join(' · '));
  }));
  const eligible = items.filter(onlyLowDpi);
  const all = h('input', { type: 'checkbox', 'aria-label': 'all', dataset: { testid: 'select-low-dpi' }, onchange: (e) => {
    for (const i of eligible) if (e.target.checked) selected.add(i.id); else selected.delete(i.id);
    for (const c of main.querySelectorAll('input[data-item]')) c.checked = e.target.checked;
  } });
  // O opens the oldest; on the item, N approves it and opens the next
  const heading = h('h2', {}, t('Items waiting for review, oldest first'));
  pageKeys(heading, { o: () => { if (items.length) location.hash = `#/review/item/${items[0].id}`; } });
  mount(main,
    h('div', { class: 'row' }, heading, h('span', { class: 'muted' }, String(items.length)),
      h('span', { class: 'spacer' }), h('span', { class: 'muted small' }, t('Keys: O open the oldest · on the item: A approve · N approve and open the next'))),
    eligible.length && may('POST /api/v1/items/{id}/transitions') ? h('div', { class: 'row toolbar' },
      h('label', {}, all, ' ', `${t('Prints whose only warning is the resolution (150-300 dpi)')} (${eligible.length})`), bulk, status) : null,
    box,
    table({
      testid: 'review-queue',
      rows: items,
      pageSize: 50,
      columns: [
        { label: '', cell: (i) => (onlyLowDpi(i) ? h('input', { type: 'checkbox', dataset: { item: i.id },
          onchange: (e) => (e.target.checked ? selected.add(i.id) : selected.delete(i.id)) }) : '') },
        { label: '', cell: thumb },
        { label: t('Order'), cell: (i) => i.order },
        { label: t('Item'), cell: (i) => h('a', { href: `#/review/item/${i.id}` }, `#${i.id}`) },
        { label: t('Product'), cell: (i) => titleOf(i) },
        { label: t('Height'), cell: (i) => (i.height_mm ? `${Math.round(i.height_mm)} mm` : '—') },
        { label: t('Material'), cell: (i) => titleOf(i, 'material') ?? '—' },
        // what is wrong, in words, without opening the item
        { label: t('Warnings'), cell: (i) => ((i.notices ?? []).length
          ? h('ul', { class: 'notices bad' }, i.notices.map((n) => h('li', { dataset: { code: n.code } }, notice(n))))
          : h('span', {}, String(i.warnings))) },
        // a figure: how much of the customer's surface the repair left where it was
        { label: t('As it was'), cell: (i) => (i.kept_share === undefined ? '—'
          : h('span', { class: i.kept_share < 0.99 ? 'bad' : '' }, `${(i.kept_share * 100).toFixed(1)} %`)) },
        // a full-colour figure: how far the printed colour strays (p95 ΔE2000, under 3 barely seen)
        { label: t('Colour ΔE'), cell: (i) => (i.colour_p95_de00 === undefined ? '—'
          : h('span', { class: i.colour_p95_de00 > 3 ? 'bad' : '' }, i.colour_p95_de00.toFixed(1))) },
        { label: t('Waiting'), cell: (i) => h('span', { title: time(i.waiting_since) }, waitedSince(i.waiting_since)) },
        { label: '', cell: (i) => h('a', { href: `#/review/item/${i.id}`, class: 'open' }, t('Open') + ' →') },
      ],
    }));
}

function newest(jobs) {
  return jobs.reduce((a, b) => (b.id > a.id ? b : a), jobs[0]);
}

export async function page(main, id) {
  const item = await get(`/api/v1/items/${id}`);
  const { jobs } = await get(`/api/v1/items/${id}/jobs`);
  const job = jobs.length ? newest(jobs) : null;
  const kind = await productKind(item.product);
  const header = h('div', { class: 'row' },
    h('h2', {}, `${t('Item')} #${item.id} · ${item.product}`), state(item.state),
    h('span', { class: 'spacer' }), h('a', { href: '#/review' }, '← ' + t('Review')));
  const side = h('div');
  const body = kind === 'figure' ? figure(item, job, side) : print(item, job, side);
  mount(main, header, h('div', { class: 'grid2' }, body, side));
}

// --- figures -------------------------------------------------------------------------------

function figure(item, job, side) {
  const report = job?.result ?? {};
  const holder = h('div', { class: 'viewer', dataset: { testid: 'viewer' } }, h('div', { class: 'note' }, t('Loading the models…')));
  const left = h('div', {}, holder);
  loadViewer(holder, left, item, report);
  drawFigureSide(side, item, job, report);
  return left;
}

async function loadViewer(holder, left, item, report) {
  const { Viewer, parseModel, texturedModel } = await import('./viewer.js');
  const viewer = new Viewer(holder);
  const files = report.files ?? {};
  const repairedFile = files['model.ply'] ?? files['model.stl'];
  const note = holder.querySelector('.note');
  try {
    if (files['uvs.bin'] && files['texture.png'] && files['model.stl']) {
      // a full-colour figure with its texture: drawn as it will print (its eyes are in the texture)
      const [stl, uvs, image] = await Promise.all([assetBuffer(files['model.stl'].asset),
        assetBuffer(files['uvs.bin'].asset), assetBuffer(files['texture.png'].asset)]);
      viewer.setModel('repaired', await texturedModel(stl, new Float32Array(uvs), new Blob([image], { type: 'image/png' })));
      holder.dataset.textured = 'yes';
    } else if (repairedFile) {
      const format = files['model.ply'] ? 'ply' : 'stl';
      viewer.setModel('repaired', await parseModel(await assetBuffer(repairedFile.asset), format));
    }
    if (item.asset) {
      const asset = await get(`/api/v1/assets/${item.asset}`);
      const original = await parseModel(await assetBuffer(item.asset), asset.format);
      if (original) {
        viewer.setModel('original', original, { heightMm: report.output?.size_mm?.[2], yUp: report.import?.converted_y_up });
      } else {
        note.textContent = t('This format cannot be shown in the browser; compare with the preview pictures.');
      }
    }
    if (!item.asset || viewer.models.original) note.remove();
  } catch (e) {
    note.textContent = e.message;
  }
  const regions = (report.findings ?? []).flatMap((f) => f.regions ?? []);
  viewer.setThinRegions(regions);
  const modes = [['original', t('Original')], ['repaired', t('Repaired')], ['side', t('Side by side')]];
  const modeButtons = modes.map(([mode, label]) => h('button', {
    class: 'toggle small', 'aria-pressed': String(mode === 'repaired'), dataset: { mode },
    onclick: (e) => {
      viewer.setMode(mode);
      for (const b of modeButtons) b.setAttribute('aria-pressed', String(b === e.currentTarget));
    },
  }, label));
  const colour = h('input', { type: 'checkbox', checked: true, onchange: (e) => viewer.setColour(e.target.checked) });
  const thin = h('input', { type: 'checkbox', checked: true, onchange: (e) => viewer.showThin(e.target.checked) });
  // where the repair moved the customer's surface, in colour on the repaired model
  const fidelity = report.fidelity ?? {};
  const deviationFile = files['deviation.bin'];
  const legend = h('div', { class: 'legend', hidden: true, dataset: { testid: 'deviation-legend' } },
    h('span', { class: 'swatch same' }), ` ≤ ${fidelity.within_mm ?? 0.1} mm ${t('as it was')} `,
    h('span', { class: 'swatch moved' }), ` ${fidelity.within_mm ?? 0.1}–1 mm `,
    h('span', { class: 'swatch far' }), ` ≥ 1 mm`);
  let deviation = null;
  const showDeviation = h('input', { type: 'checkbox', disabled: !deviationFile, dataset: { testid: 'deviation' },
    onchange: async (e) => {
      if (e.target.checked && !deviation) deviation = new Float32Array(await assetBuffer(deviationFile.asset));
      viewer.showDeviation(e.target.checked ? deviation : null, { withinMm: fidelity.within_mm ?? 0.1 });
      legend.hidden = !e.target.checked;
      if (e.target.checked) { viewer.setMode('repaired'); }
    } });
  const share = fidelity.share_within !== undefined ? ` (${(fidelity.share_within * 100).toFixed(1)} % ${t('as it was')})` : '';
  // a full-colour figure: where its printed colour differs from the customer's (CIEDE2000)
  const colourFile = files['colour_de.bin'];
  const colourLegend = h('div', { class: 'legend', hidden: true, dataset: { testid: 'colour-legend' } },
    h('span', { class: 'swatch same' }), ` ΔE ≤ 2 ${t('as it was')} `,
    h('span', { class: 'swatch moved' }), ' ΔE 2–10 ',
    h('span', { class: 'swatch far' }), ' ΔE ≥ 10');
  let colourDe = null;
  const showColour = h('input', { type: 'checkbox', dataset: { testid: 'colour-difference' },
    onchange: async (e) => {
      if (e.target.checked) {
        showDeviation.checked = false;
        legend.hidden = true;
        if (!colourDe) colourDe = new Float32Array(await assetBuffer(colourFile.asset));
        viewer.setMode('repaired');
      }
      viewer.showDeviation(e.target.checked ? colourDe : null, { withinMm: 2, fullMm: 10 });
      colourLegend.hidden = !e.target.checked;
    } });
  showDeviation.addEventListener('change', () => {
    if (showDeviation.checked) { showColour.checked = false; colourLegend.hidden = true; }
  });
  const p95 = report.colour_fidelity?.p95_de00;
  left.append(h('div', { class: 'toolbar' }, modeButtons,
    h('label', {}, colour, ' ', t('Colour')),
    h('label', {}, thin, ' ', `${t('Thin regions')} (${regions.length})`),
    h('label', {}, showDeviation, ' ', t('What the repair moved'), share),
    colourFile && h('label', {}, showColour, ' ', t('Colour difference'), p95 !== undefined ? ` (p95 ΔE ${p95.toFixed(1)})` : '')),
  legend, colourLegend);
  const preview = report.files?.['preview.png'];
  if (preview) left.append(previewImage(preview.asset));
  window.addEventListener('hashchange', () => viewer.dispose(), { once: true });
}

function previewImage(asset) {
  const img = h('img', { alt: t('Preview'), dataset: { testid: 'preview' } });
  assetUrl(asset).then((url) => { img.src = url; });
  img.addEventListener('click', () => img.classList.toggle('big'));
  return h('div', { class: 'preview card' }, h('h3', {}, t('Preview')), img);
}

function drawFigureSide(side, item, job, report) {
  const out = report.output ?? {};
  const size = out.size_mm ? out.size_mm.map((v) => v.toFixed(1)).join(' × ') + ' mm' : '—';
  const thinFinding = (report.findings ?? []).find((f) => f.code === 'thin_walls');
  const unstable = (report.findings ?? []).some((f) => f.code === 'unstable');
  const numbers = h('table', { class: 'numbers', dataset: { testid: 'numbers' } }, h('tbody', {},
    h('tr', {}, h('td', {}, t('Size')), h('td', {}, size)),
    h('tr', {}, h('td', {}, t('Volume')), h('td', {}, out.volume_mm3 ? `${(out.volume_mm3 / 1000).toFixed(1)} cm³` : '—')),
    h('tr', {}, h('td', {}, t('Walls under the minimum')), h('td', { class: thinFinding ? 'bad' : '' }, thinFinding ? notice(thinFinding) : '—')),
    h('tr', {}, h('td', {}, t('Shells')), h('td', {}, String(out.shells ?? '—'))),
    h('tr', {}, h('td', {}, t('Closed and manifold')), h('td', {}, out.closed && out.manifold ? t('yes') : t('no'))),
    h('tr', {}, h('td', {}, t('Stable')), h('td', { class: unstable ? 'bad' : '' }, unstable ? t('tips over') : t('stands')))));
  const r = report.repair ?? {};
  const repairs = Object.entries(r).filter(([k, v]) => typeof v === 'number' && v > 0 && !k.includes('seconds') && !k.startsWith('input') && !k.startsWith('output'))
    .map(([k, v]) => h('li', {}, `${k.replaceAll('_', ' ')}: ${Number.isInteger(v) ? v : v.toFixed(2)}`));
  const findings = (report.findings ?? []).map((f) => h('li', { dataset: { code: f.code } }, notice(f)));
  mount(side,
    h('div', { class: 'card' }, h('h3', {}, t('Printability')), numbers),
    job?.state === 'failed' || job?.state === 'dead' ? h('div', { class: 'error' }, `${t('The preparation failed')}: ${job.error}${job.error_code ? ` (${job.error_code})` : ''}`) : null,
    actions(item, job, reworkFigureFields(item, report)),
    h('div', { class: 'card' }, h('h3', {}, t('Findings')), findings.length ? h('ul', { class: 'findings', dataset: { testid: 'findings' } }, findings) : h('p', { class: 'muted' }, '—'),
      h('h3', {}, t('Repairs')), h('ul', { class: 'findings' }, repairs)));
}

function number(name, value, attrs = {}) {
  return h('input', { type: 'number', name, value: value ?? '', step: 'any', ...attrs });
}

function reworkFigureFields(item, report) {
  const tuning = item.tuning ?? {};
  const rotate = tuning.rotate_deg ?? [0, 0, 0];
  const inputs = {
    height_mm: number('height_mm', tuning.height_mm ?? Math.round(report.height_mm ?? item.options?.height_mm ?? 100), { min: 20, max: 300 }),
    rx: number('rx', rotate[0], { min: -360, max: 360 }), ry: number('ry', rotate[1], { min: -360, max: 360 }),
    rz: number('rz', rotate[2], { min: -360, max: 360 }),
    base_mm: number('base_mm', tuning.base_mm ?? 0, { min: 0, max: 10 }),
    thicken_mm: number('thicken_mm', tuning.thicken_mm ?? 0, { min: 0, max: 4 }),
    remove_parts_under_mm: number('remove_parts_under_mm', tuning.remove_parts_under_mm ?? '', { min: 0, max: 50, placeholder: '0.8' }),
  };
  const el = h('div', { class: 'fields' },
    field(t('Height (mm)'), inputs.height_mm),
    field(t('Rotate X / Y / Z (°)'), h('div', { class: 'row' }, inputs.rx, inputs.ry, inputs.rz)),
    field(t('Add a base (mm)'), inputs.base_mm),
    field(t('Thicken walls (mm)'), inputs.thicken_mm),
    field(t('Remove parts under (mm)'), inputs.remove_parts_under_mm));
  // checked in the page from the limits the server holds (20-300 mm, ...) before anything is sent
  el.problem = () => {
    for (const [name, input] of Object.entries(inputs)) {
      if (input.value !== '' && !input.checkValidity()) {
        return `${name}: ${t('a number from')} ${input.min} ${t('to')} ${input.max}`;
      }
    }
    return '';
  };
  el.tuning = () => {
    const out = { height_mm: Number(inputs.height_mm.value) };
    const rot = [inputs.rx, inputs.ry, inputs.rz].map((i) => Number(i.value) || 0);
    if (rot.some((v) => v !== 0)) out.rotate_deg = rot;
    for (const k of ['base_mm', 'thicken_mm']) if (Number(inputs[k].value) > 0) out[k] = Number(inputs[k].value);
    if (inputs.remove_parts_under_mm.value !== '') out.remove_parts_under_mm = Number(inputs.remove_parts_under_mm.value);
    return out;
  };
  return el;
}

// --- actions (both kinds) ------------------------------------------------------------------

// Every step the server allows from the item's state is a button (its `allowed_events`):
// approve, run the preparation again with the tuning (one request: a refused tuning leaves the
// item where it was), try a failed preparation again, send an item parked in `rework` back to
// the queue, escalate to customer service.
function actions(item, job, reworkFields) {
  const box = errorBox();
  const status = h('div');
  const transitions = `/api/v1/items/${item.id}/transitions`;
  const can = (event) => item.allowed_events.includes(event) && may('POST /api/v1/items/{id}/transitions');
  const reason = h('input', { type: 'text', name: 'reason', placeholder: t('Reason'), size: 40 });
  const approveThen = (next) => async () => {
    await post(transitions, { event: 'approve', version: item.version, reason: reason.value || undefined });
    toast(t('Approved: the print file is frozen.'));
    location.hash = next ? await nextInQueue(item.id) : '#/review';
  };
  const approve = h('button', {
    class: 'primary', dataset: { testid: 'approve' }, disabled: !can('approve'), title: 'A',
    onclick: () => act(approve, box, approveThen(false)),
  }, t('Approve'));
  const approveNext = h('button', {
    class: 'primary', dataset: { testid: 'approve-next' }, disabled: !can('approve'), title: 'N',
    onclick: () => act(approveNext, box, approveThen(true)),
  }, t('Approve and open the next'));
  const rework = h('button', {
    dataset: { testid: 'rework' }, disabled: !can('reprepare'),
    onclick: () => act(rework, box, async () => {
      const problem = reworkFields.problem?.();
      if (problem) throw new Error(problem);
      const why = reason.value.trim() || t('Rework');
      await post(transitions, { event: 'reprepare', reason: why, tuning: reworkFields.tuning(), version: item.version });
      await followPreparation(item.id, job?.id ?? 0, status);
    }),
  }, t('Run the preparation again'));
  const retry = h('button', {
    dataset: { testid: 'retry' }, hidden: !can('retry'),
    onclick: () => act(retry, box, async () => {
      await post(transitions, { event: 'retry', reason: reason.value.trim() || undefined, version: item.version });
      await followPreparation(item.id, job?.id ?? 0, status);
    }),
  }, t('Try the preparation again'));
  const backToReview = h('button', {
    dataset: { testid: 'back-to-review' }, hidden: !can('submit_review'),
    onclick: () => act(backToReview, box, async () => {
      await post(transitions, { event: 'submit_review', reason: reason.value.trim() || undefined, version: item.version });
      toast(t('Back in the review queue.'));
      await page(document.getElementById('main'), item.id);
    }),
  }, t('Send back to review'));
  const escalate = h('button', {
    class: 'danger', disabled: !can('ask_customer'),
    onclick: () => act(escalate, box, async () => {
      if (!reason.value.trim()) throw new Error(`${t('Reason')}?`);
      await post(transitions, { event: 'ask_customer', reason: reason.value.trim(), version: item.version });
      toast(t('Sent to customer service.'));
      location.hash = '#/review';
    }),
  }, t('Escalate to customer service'));
  // keys for a day of reviews: A approve, N approve and open the next, R run again; done once
  // the next item's address is set, before its page is drawn
  const press = (button) => () => { if (!button.disabled) button.click(); };
  pageKeys(approve, { a: press(approve), n: press(approveNext), r: press(rework) },
    () => location.hash === `#/review/item/${item.id}`);
  return h('div', { class: 'card' },
    field(t('Reason'), reason),
    h('div', { class: 'row' }, approve, approveNext, escalate, retry, backToReview),
    h('p', { class: 'muted small' }, t('Keys: A approve · N approve and open the next · R run again')),
    h('h3', {}, t('Rework')), reworkFields, rework, status, box);
}

// The oldest other item waiting for review, or the queue when none is left.
async function nextInQueue(doneId) {
  const { items } = await get('/api/v1/review/queue?limit=2');
  const next = items.find((i) => i.id !== doneId);
  return next ? `#/review/item/${next.id}` : '#/review';
}

// Polls the item's newest job until the item leaves `preparing`, showing its progress.
async function followPreparation(itemId, previousJob, status) {
  const bar = progressBar();
  mount(status, h('p', {}, t('Preparing again…')), bar);
  status.scrollIntoView({ block: 'center' });
  for (;;) {
    await new Promise((r) => setTimeout(r, 700));
    const { jobs } = await get(`/api/v1/items/${itemId}/jobs`);
    const job = newest(jobs);
    if (job.id > previousJob) bar.update(job);
    const item = await get(`/api/v1/items/${itemId}`);
    if (item.state !== 'preparing' && job.id > previousJob && job.state !== 'queued' && job.state !== 'leased') {
      toast(item.state === 'needs_review' ? t('Ready for review again.') : `${t(item.state)}: ${job.error ?? ''}`, item.state !== 'needs_review');
      if (location.hash === `#/review/item/${itemId}`) await page(document.getElementById('main'), itemId);
      return;
    }
  }
}

// --- 2D items ------------------------------------------------------------------------------

function print(item, job, side) {
  const report = job?.result ?? {};
  const left = h('div');
  const preview = report.files?.['preview.png'];
  if (preview) left.append(previewImage(preview.asset));
  left.append(h('p', { class: 'muted' }, t('Trim, bleed and safe area'), ': ',
    h('span', { class: 'legend-trim' }, '▭ trim'), ' · ', h('span', { class: 'legend-safe' }, '▭ safe'), ' · ',
    h('span', { class: 'legend-cut' }, '▭ cut')));
  const cropCanvas = h('canvas', { class: 'crop-canvas', dataset: { testid: 'crop' } });
  left.append(h('div', { class: 'card' }, h('h3', {}, t('The crop on the customer\'s picture')), cropCanvas));
  const fields = reworkPrintFields(item, report, cropCanvas);
  const numbers = h('table', { class: 'numbers' }, h('tbody', {},
    h('tr', {}, h('td', {}, t('Effective dpi')), h('td', { class: report.effective_dpi < 300 ? 'bad' : '' }, report.effective_dpi ? Math.round(report.effective_dpi) : '—')),
    h('tr', {}, h('td', {}, t('Faces found')), h('td', {}, String(report.faces?.length ?? 0))),
    h('tr', {}, h('td', {}, t('Crop')), h('td', {}, report.crop_px ? report.crop_px.join(', ') + ' px' : '—')),
    h('tr', {}, h('td', {}, t('Size')), h('td', {}, report.trim_mm ? `${report.trim_mm.join(' × ')} mm` : '—')),
    report.hang_deg === undefined ? null
      : h('tr', {}, h('td', {}, t('Hangs from vertical')), h('td', { class: report.hang_deg > 3 ? 'bad' : '', dataset: { testid: 'hang' } }, `${report.hang_deg.toFixed(1)}°`)),
    report.press ? h('tr', {}, h('td', {}, t('Press condition')), h('td', {}, report.press.output_condition_identifier || report.press.id)) : null));
  const warnings = (report.warnings ?? []).map((w) => h('li', { dataset: { code: w.code } }, notice(w)));
  mount(side,
    h('div', { class: 'card' }, h('h3', {}, t('Print preview')), numbers,
      h('h3', {}, t('Warnings')), warnings.length ? h('ul', { class: 'findings', dataset: { testid: 'warnings' } }, warnings) : h('p', { class: 'muted' }, '—')),
    job?.error ? h('div', { class: 'error' }, job.error) : null,
    actions(item, job, fields));
  return left;
}

// Zoom and move the crop; the rectangle on the customer's picture follows the sliders.
function reworkPrintFields(item, report, canvas) {
  const tuning = item.tuning ?? {};
  const zoom = h('input', { type: 'range', min: 1, max: 4, step: 0.05, value: tuning.zoom ?? 1, name: 'zoom' });
  const ox = h('input', { type: 'range', min: -1, max: 1, step: 0.05, value: tuning.crop_offset?.[0] ?? 0, name: 'offset_x' });
  const oy = h('input', { type: 'range', min: -1, max: 1, step: 0.05, value: tuning.crop_offset?.[1] ?? 0, name: 'offset_y' });
  const low = h('input', { type: 'checkbox', checked: !!tuning.allow_low_dpi || item.state === 'awaiting_customer' });
  // keychains: the ring sits on the piece's balance line; the engineer may move it sideways
  const ring = report.hang_deg === undefined ? null
    : h('input', { type: 'number', min: -25, max: 25, step: 0.5, value: tuning.ring_offset_mm ?? 0, name: 'ring_offset_mm' });
  let picture = null;
  const draw = () => {
    if (!picture) return;
    const scale = Math.min(1, 520 / picture.width);
    canvas.width = picture.width * scale;
    canvas.height = picture.height * scale;
    const g = canvas.getContext('2d');
    g.drawImage(picture, 0, 0, canvas.width, canvas.height);
    // a picture refused before it was cropped (too small for its product): shown whole
    if (!report.crop_px) return;
    // the crop at zoom 1 is the report's crop times the zoom it was made with
    const was = tuning.zoom ?? 1;
    const w = Math.min(picture.width, report.crop_px[2] * was) / Number(zoom.value);
    const hgt = Math.min(picture.height, report.crop_px[3] * was) / Number(zoom.value);
    const x = ((picture.width - w) / 2) * (1 + Number(ox.value));
    const y = ((picture.height - hgt) / 2) * (1 + Number(oy.value));
    g.fillStyle = 'rgba(20,33,61,.45)';
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.drawImage(picture, x, y, w, hgt, x * scale, y * scale, w * scale, hgt * scale);
    g.strokeStyle = '#d7263d';
    g.lineWidth = 2;
    g.strokeRect(x * scale, y * scale, w * scale, hgt * scale);
  };
  if (item.asset) {
    assetUrl(item.asset).then((url) => {
      const img = new Image();
      img.onload = () => { picture = img; draw(); };
      img.src = url;
    });
  }
  for (const input of [zoom, ox, oy]) input.addEventListener('input', draw);
  const el = h('div', { class: 'fields' },
    field(t('Zoom'), zoom), field(t('Move left / right'), ox), field(t('Move up / down'), oy),
    ring ? field(t('Move the ring sideways (mm)'), ring) : null,
    h('label', {}, low, ' ', t('Print below 150 dpi')));
  el.tuning = () => {
    const out = {};
    if (Number(zoom.value) !== 1) out.zoom = Number(zoom.value);
    if (Number(ox.value) !== 0 || Number(oy.value) !== 0) out.crop_offset = [Number(ox.value), Number(oy.value)];
    if (low.checked) out.allow_low_dpi = true;
    if (ring && Number(ring.value) !== 0) out.ring_offset_mm = Number(ring.value);
    return out;
  };
  return el;
}
