// registry.js -- the registry (registry.html, 注册登记) of the caller's
// participant: holdings by vintage (available, frozen, locked T+1), the
// compliance of a year (obligation, what was surrendered, the CCER share
// left under its 5% cap), surrender -- with the CCER share after the
// surrender shown before it is submitted --, voluntary cancellation with a
// printable certificate, transfers and their four-eyes approval queue, and
// the registry movements (allocations, surrenders, ...) as they happen.
//
// Transfers need a second user of the sending participant: the page knows a
// transfer's requester only by the four-eyes user number (the FNV-1a hash of
// the user name, docs/api.md), computed here the same way, so that a person
// is told it was their own request before the server refuses it.
// Live over the WebSocket's registry and balances channels.

import { currentUser, get, hasRole, post } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, datetime, h, qty, show } from './format.js';
import { feed, formMessage, initLayout, requireLogin, toast } from './layout.js';
import { debounce, poll } from './ws.js';

let account = null;
let comp = null; // the year's compliance record, or null
let compError = null;
let transfers = [];
const moves = [];
let codes = [];
const me = () => currentUser() || {};

// The server's four-eyes number of a user name: FNV-1a 32, 0 mapped to 1.
export function userNumber(name) {
  let hsh = 2166136261;
  for (const b of new TextEncoder().encode(name)) hsh = Math.imul(hsh ^ b, 16777619) >>> 0;
  return hsh || 1;
}

function showError(e) {
  const el = $('#reg-error');
  el.hidden = !e;
  if (e) el.textContent = `${t('error')}: ${e.display || e.message}`;
}

function renderHoldings() {
  if (!account) return;
  $('#reg-name').textContent = `${show(account.name)} #${show(account.participant)}`;
  const rows = (account.holdings || []).map((x) => h('tr', { dataset: { code: x.code } },
    h('td', {}, x.code),
    h('td', { class: 'num', dataset: { f: 'available' } }, qty(x.available)),
    h('td', { class: 'num', dataset: { f: 'frozen' } }, qty(x.frozen)),
    h('td', { class: 'num', dataset: { f: 'locked' } }, qty(x.locked)),
    h('td', { class: 'num' }, qty(x.available + x.frozen + x.locked))));
  $('#reg-holdings').replaceChildren(...(rows.length ? rows
    : [h('tr', {}, h('td', { colspan: 5, class: 'empty' }, t('no_holdings')))]));
}

function renderCompliance() {
  const box = $('#reg-compliance');
  if (!comp) {
    box.replaceChildren(h('p', { class: 'empty' }, compError ? compError : t('no_record')));
    return;
  }
  const kv = (k, v, id) => [h('dt', {}, t(k)), h('dd', { id }, v)];
  box.replaceChildren(h('dl', { class: 'kv', id: 'compliance-record' },
    ...kv('obligation', `${qty(comp.obligation)} ${t('tonnes')}`, 'c-obligation'),
    ...kv('status', t(`cstatus_${comp.status}`), 'c-status'),
    ...kv('surrendered_cea', qty(comp.surrendered_cea), 'c-cea'),
    ...kv('surrendered_ccer', qty(comp.surrendered_ccer), 'c-ccer'),
    ...kv('outstanding', qty(comp.outstanding), 'c-outstanding'),
    ...kv('ccer_max', `${qty(comp.ccer_max)} (${comp.ccer_cap_pct}%)`, 'c-ccer-max'),
    ...kv('ccer_left', qty(comp.ccer_left), 'c-ccer-left'),
    ...kv('shortfall', qty(comp.shortfall), 'c-shortfall'),
    ...kv('deduction_owed', qty(comp.deduction_owed), 'c-owed')));
  updatePreview();
}

function renderTransfers() {
  const mine = userNumber(me().username || '');
  const rows = transfers.slice().sort((a, b) => b.id - a.id).map((x) => {
    const own = x.requested_by_user === mine;
    const acts = x.status === 'pending' && x.from === me().participant && hasRole('compliance')
      ? [own ? h('span', { class: 'hint own' }, t('requested_by_you')) : null,
        h('button', { class: 'small primary approve', type: 'button', onclick: (ev) => decide(x, 'approve', ev.target) }, t('approve')),
        h('button', { class: 'small danger reject', type: 'button', onclick: (ev) => decide(x, 'reject', ev.target) }, t('reject'))]
      : [];
    return h('tr', { dataset: { transferId: String(x.id), status: x.status } },
      h('td', {}, String(x.id)), h('td', {}, `#${x.from}`), h('td', {}, `#${x.to}`), h('td', {}, x.code),
      h('td', { class: 'num' }, qty(x.qty)), h('td', {}, h('span', { class: `badge t-${x.status}` }, t(`tstatus_${x.status}`))),
      h('td', {}, datetime(x.ts)), h('td', { class: 'acts' }, acts));
  });
  $('#reg-transfers').replaceChildren(rows.length
    ? h('table', { class: 'grid compact', id: 'transfer-table' },
      h('thead', {}, h('tr', {}, ['id', 'owner', 'counterparty', 'code', 'qty', 'status', 'time', 'actions'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, rows))
    : h('p', { class: 'empty' }, t('no_transfers')));
}

function renderMoves() {
  const rows = moves.map((m) => h('tr', { dataset: { kind: m.kind } },
    h('td', {}, datetime(m.ts)), h('td', {}, t(`move_${m.kind}`)), h('td', {}, show(m.code)),
    h('td', { class: 'num' }, qty(m.qty)), h('td', {}, m.year ? String(m.year) : '—'),
    h('td', {}, m.counterparty ? `#${m.counterparty}` : '—')));
  $('#reg-moves').replaceChildren(rows.length
    ? h('table', { class: 'grid compact', id: 'moves-table' },
      h('thead', {}, h('tr', {}, ['time', 'kind', 'code', 'qty', 'year', 'counterparty'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, rows))
    : h('p', { class: 'empty' }, t('no_moves')));
}

async function decide(x, what, button) {
  button.disabled = true;
  try {
    await post(`/api/v1/registry/transfers/${x.id}/${what}`, {});
    toast(`${t(what)} #${x.id}`, 'ok');
    refreshSoon();
  } catch (e) {
    toast(`${t('error')}: ${e.display || e.message}`, 'error');
    showError(e);
  } finally {
    button.disabled = false;
  }
}

function year() {
  return Number($('#reg-year').value) || null;
}

async function loadCompliance() {
  const y = year();
  if (!y || !me().participant) return;
  try {
    comp = await get(`/api/v1/registry/compliance/${me().participant}?year=${y}`);
    compError = null;
  } catch (e) {
    comp = null;
    compError = e.reason === 'no_obligation' ? t('no_record') : `${t('error')}: ${e.display}`;
  }
  renderCompliance();
}

async function refresh() {
  try {
    const asks = [get('/api/v1/account')];
    if (hasRole('compliance')) asks.push(get('/api/v1/registry/transfers'));
    const [a, tr] = await Promise.all(asks);
    account = a;
    transfers = tr || [];
    showError(null);
    renderHoldings();
    renderTransfers();
    await loadCompliance();
  } catch (e) {
    showError(e);
    if (e.status === 401) requireLogin();
  }
}

const refreshSoon = debounce(refresh, 250);

// ---- surrender, with the CCER share shown before submitting -------------------

function ccerOf(form) {
  if (form.elements.mode.value !== 'named') return 0;
  let n = 0;
  for (const row of form.querySelectorAll('.target')) {
    const code = row.querySelector('select').value;
    const q = Number(row.querySelector('input').value) || 0;
    if (code === 'CCER') n += q;
  }
  return n;
}

// "CCER share after this surrender: 5,001 t of 100,000 t = 5.00%+: over the cap"
function updatePreview() {
  const form = $('#surrender-form');
  const out = $('#ccer-preview');
  if (!form || !out) return;
  if (!comp) {
    out.textContent = '';
    return;
  }
  const now = ccerOf(form);
  const after = comp.surrendered_ccer + now;
  const over = now > comp.ccer_left;
  // the share in hundredths of a per cent, from integers only
  const bp = comp.obligation ? Math.floor((after * 10000) / comp.obligation) : 0;
  out.textContent = `${t('ccer_share')}: ${qty(after)} / ${qty(comp.obligation)} ${t('tonnes')} = ${(bp / 100).toFixed(2)}% · ${t('ccer_left')} ${qty(comp.ccer_left)} · ${t(over ? 'ccer_over' : 'ccer_ok')}`;
  out.className = `preview ${over ? 'over' : 'within'}`;
  out.dataset.over = String(over);
}

function targetRow(code = 'CCER') {
  const sel = h('select', { name: 'tcode' }, codes.map((c) => h('option', { value: c, selected: c === code ? true : null }, c)));
  const input = h('input', { name: 'tqty', type: 'number', min: 1, step: 1 });
  sel.addEventListener('change', updatePreview);
  input.addEventListener('input', updatePreview);
  return h('div', { class: 'row target' }, h('label', { class: 'field' }, h('span', {}, t('code')), sel),
    h('label', { class: 'field' }, h('span', {}, t('qty')), input));
}

function surrenderForm() {
  const msg = h('p', { class: 'msg', id: 'surrender-msg' });
  const button = h('button', { type: 'submit', class: 'primary', id: 'surrender-submit' }, t('submit'));
  const mode = h('select', { name: 'mode' }, h('option', { value: 'qty' }, t('surrender_qty')), h('option', { value: 'named' }, t('surrender_named')));
  const byQty = h('div', { class: 'mode-qty' }, h('label', { class: 'field' }, h('span', {}, t('qty')), h('input', { name: 'qty', type: 'number', min: 1, step: 1 })));
  const named = h('div', { class: 'mode-named', hidden: true }, targetRow('CCER'), targetRow(codes.find((c) => c !== 'CCER') || 'CCER'));
  const form = h('form', { id: 'surrender-form', class: 'trade-form', autocomplete: 'off' },
    h('h3', {}, t('surrender_title')),
    h('label', { class: 'field' }, h('span', {}, t('surrender_mode')), mode),
    byQty, named, h('p', { id: 'ccer-preview', class: 'preview' }),
    h('div', { class: 'actions' }, button), msg);
  mode.addEventListener('change', () => {
    byQty.hidden = mode.value !== 'qty';
    named.hidden = mode.value !== 'named';
    updatePreview();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { year: year() };
    if (mode.value === 'qty') {
      body.qty = Number(form.elements.qty.value);
    } else {
      body.instruments = [...form.querySelectorAll('.target')]
        .map((r) => ({ code: r.querySelector('select').value, qty: Number(r.querySelector('input').value) }))
        .filter((x) => x.qty > 0);
    }
    button.disabled = true;
    try {
      const r = await post('/api/v1/registry/surrenders', body);
      formMessage(msg, `${t('surrendered_ok')}: ${qty(r.surrendered)} ${t('tonnes')} (${r.year})`, 'ok');
      refreshSoon();
    } catch (e) {
      formMessage(msg, `${t('error')}: ${e.display || e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// ---- voluntary cancellation and its certificate ------------------------------------

function certificate(r) {
  const box = $('#certificate');
  const row = (k, v, id) => h('tr', {}, h('th', {}, t(k)), h('td', id ? { id } : {}, v));
  box.replaceChildren(
    h('div', { class: 'cert-head' }, h('div', { class: 'cert-title' }, '全国碳排放权注册登记系统 自愿注销证明'),
      h('div', { class: 'cert-sub' }, 'National Carbon Emission Registry · Certificate of Voluntary Cancellation')),
    h('table', { class: 'cert-body' },
      row('certificate_no', `CETS-R-${String(r.seq).padStart(10, '0')}`, 'cert-no'),
      row('time', `${datetime(r.ts)} (${t('beijing_time')})`),
      row('holder', `#${r.participant} ${account ? account.name : ''}`),
      row('instrument', r.code),
      row('qty', `${qty(r.qty)} ${t('tonnes')}`, 'cert-qty'),
      row('beneficiary', r.beneficiary, 'cert-beneficiary'),
      row('reason', r.reason)),
    h('p', { class: 'cert-text' }, '上述配额已从注册登记系统中永久注销，不再用于交易或清缴。'),
    h('p', { class: 'cert-text' }, 'The allowances above are retired from the registry for good: they can no longer be traded or surrendered.'),
    h('div', { class: 'actions no-print' },
      h('button', { type: 'button', class: 'primary', id: 'cert-print', onclick: () => window.print() }, t('print')),
      h('button', { type: 'button', onclick: () => { box.hidden = true; } }, t('less'))));
  box.hidden = false;
  box.scrollIntoView();
}

function retireForm() {
  const msg = h('p', { class: 'msg', id: 'retire-msg' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('submit'));
  const f = (k, input) => h('label', { class: 'field' }, h('span', {}, t(k)), input);
  const form = h('form', { id: 'retire-form', class: 'trade-form', autocomplete: 'off' },
    h('h3', {}, t('retire_title')),
    h('div', { class: 'row' }, f('code', h('select', { name: 'code' }, codes.map((c) => h('option', { value: c }, c)))),
      f('qty', h('input', { name: 'qty', type: 'number', min: 1, step: 1, required: true }))),
    f('beneficiary', h('input', { name: 'beneficiary', required: true, maxlength: 40 })),
    f('reason', h('input', { name: 'reason', required: true, maxlength: 40 })),
    h('div', { class: 'actions' }, button), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const e = form.elements;
    button.disabled = true;
    try {
      const r = await post('/api/v1/registry/retirements', {
        code: e.code.value, qty: Number(e.qty.value), beneficiary: e.beneficiary.value.trim(), reason: e.reason.value.trim(),
      });
      formMessage(msg, `${t('done')}: ${qty(r.qty)} ${t('tonnes')} ${r.code}`, 'ok');
      certificate(r);
      refreshSoon();
    } catch (err) {
      formMessage(msg, `${t('error')}: ${err.display || err.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function transferForm() {
  const msg = h('p', { class: 'msg', id: 'transfer-msg' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('submit'));
  const f = (k, input) => h('label', { class: 'field' }, h('span', {}, t(k)), input);
  const form = h('form', { id: 'transfer-form', class: 'trade-form', autocomplete: 'off' },
    h('h3', {}, t('transfer_title')),
    h('div', { class: 'row' }, f('transfer_to', h('input', { name: 'to', type: 'number', min: 2, required: true })),
      f('code', h('select', { name: 'code' }, codes.map((c) => h('option', { value: c }, c))))),
    f('qty', h('input', { name: 'qty', type: 'number', min: 1, step: 1, required: true })),
    h('div', { class: 'actions' }, button), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const e = form.elements;
    button.disabled = true;
    try {
      const r = await post('/api/v1/registry/transfers', { to: Number(e.to.value), code: e.code.value, qty: Number(e.qty.value) });
      formMessage(msg, `${t('done')}: #${r.id} ${t(`tstatus_${r.status}`)}`, 'ok');
      msg.dataset.transferId = String(r.id);
      refreshSoon();
    } catch (err) {
      formMessage(msg, `${t('error')}: ${err.display || err.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function setupForms() {
  const box = $('#reg-forms');
  if (!hasRole('compliance')) {
    box.replaceChildren(h('p', { class: 'hint' }, t('need_compliance')));
    return;
  }
  box.replaceChildren(surrenderForm(), retireForm(), transferForm());
  updatePreview();
}

initLayout('registry');
if (requireLogin()) {
  const yearInput = $('#reg-year');
  yearInput.addEventListener('change', loadCompliance);
  Promise.all([get('/api/v1/instruments'), get('/api/v1/market')]).then(([list, m]) => {
    codes = list.map((i) => i.code);
    if (!yearInput.value) yearInput.value = String(Number(String(m.date).slice(0, 4)) - 1);
    setupForms();
    refresh();
  }).catch(showError);
  feed.authenticate();
  feed.subscribe('registry');
  feed.subscribe('balances');
  feed.on('registry', (m) => {
    if (m.move) moves.unshift(m.move);
    renderMoves();
    refreshSoon();
  }).on('balances', refreshSoon);
  feed.start();
  onLangChange(() => {
    renderHoldings();
    renderCompliance();
    renderTransfers();
    renderMoves();
    setupForms();
  });
  renderMoves();
  poll(feed, refresh);
}
