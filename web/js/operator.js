// operator.js -- the console (operator.html) of the exchange operator (role
// admin) and of the competent authority (role authority), each seeing its
// own sections:
//  - the operator: market state, halt/resume per instrument and
//    market-wide, end of day, participants (add, status, deposits, credits),
//    users and their roles (add, delete), one-way bidding auctions (create,
//    close, cancel), judicial freezes;
//  - the authority: allocation and verified-emission CSV uploads, whose
//    line-numbered errors are shown and after which nothing was applied,
//    the deadline of a compliance year, its own auctions (paid allocation),
//    freezes.
// Both see the market parameters in force with what is pending (GET
// /api/v1/params) and the abnormal-trading alerts (GET /api/v1/alerts).

import { currentUser, del, get, hasRole, post, postText } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, beijingToIso, datetime, h, jsonView, qty, show } from './format.js';
import { feed, initLayout, requireLogin, toast } from './layout.js';
import { debounce, poll } from './ws.js';

let market = null;
let participants = null;
let users = null;
let auctions = [];
let params = null;
let alerts = null;
const ROLES = ['view', 'trade', 'funds', 'compliance', 'authority', 'admin'];

// Outcomes go to a toast; an error also stays on the page until the next success.
function say(text, kind) {
  const el = $('#op-msg');
  el.hidden = kind !== 'error';
  el.textContent = text;
  el.className = `msg ${kind}`;
  toast(text, kind);
}

// Run an action, report its outcome, refresh.
async function act(button, path, body, method = 'POST') {
  if (button) button.disabled = true;
  try {
    if (method === 'DELETE') await del(path);
    else await post(path, body);
    say(t('done'), 'ok');
    await refresh();
    return true;
  } catch (e) {
    say(`${t('error')}: ${e.display || e.message}`, 'error');
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

function renderMarket() {
  if (!market) return;
  $('#op-date').textContent = show(market.date);
  const s = $('#op-session');
  s.textContent = t(`session_${market.session}`);
  s.className = `badge ${market.session}`;
  $('#op-composite').textContent = show(market.composite);
  $('#op-instruments').replaceChildren(...(market.instruments || []).map((i) => {
    const halted = i.status === 'halted';
    const path = `/api/v1/admin/instruments/${encodeURIComponent(i.code)}/halt`;
    return h('tr', { dataset: { code: i.code } },
      h('td', {}, h('a', { class: 'code', href: `instrument.html?code=${encodeURIComponent(i.code)}` }, i.code)),
      h('td', {}, t(`matching_${i.matching}`)),
      h('td', {}, h('span', { class: `badge ${i.status}` }, t(`status_${i.status}`))),
      h('td', { class: 'num' }, show(i.last)),
      h('td', { class: 'num' }, qty(i.volume)),
      h('td', { class: 'num' }, `${show(i.lower)} – ${show(i.upper)}`),
      h('td', {}, h('button', {
        class: `small ${halted ? '' : 'danger'}`, type: 'button',
        onclick: (ev) => act(ev.target, path, { halted: !halted }),
      }, t(halted ? 'resume' : 'halt'))));
  }));
}

function renderLists() {
  const label = (k) => t(k);
  if (hasRole('admin')) {
    const cols = ['id', 'name', 'kind', 'status', 'available', 'frozen', 'withdrawable', 'open_orders'];
    const rows = (participants || []).map((p) => Object.fromEntries(cols.map((c) => [c, p[c]])));
    $('#op-participants').replaceChildren(jsonView(rows, label, cols) || h('p', { class: 'empty' }, t('no_data')));
    const self = (currentUser() || {}).username;
    $('#op-users').replaceChildren(h('table', { class: 'grid compact', id: 'user-table' },
      h('thead', {}, h('tr', {}, ['username', 'participant', 'roles', 'actions'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, (users || []).map((u) => h('tr', { dataset: { user: u.username } },
        h('td', {}, u.username), h('td', {}, `#${u.participant}`),
        h('td', {}, (Array.isArray(u.roles) ? u.roles : String(u.roles).split(',')).map((r) => t(`role_${r}`)).join(', ')),
        h('td', {}, u.username === self ? '' : h('button', {
          class: 'small danger', type: 'button',
          onclick: (ev) => confirm(`${t('delete_user')} ${u.username}?`) &&
            act(ev.target, `/api/v1/admin/users/${encodeURIComponent(u.username)}`, null, 'DELETE'),
        }, t('delete_user'))))))));
  }
  $('#op-auction-list').replaceChildren(auctions.length
    ? h('table', { class: 'grid compact', id: 'op-auction-table' },
      h('thead', {}, h('tr', {}, ['id', 'code', 'initiator', 'lot', 'start', 'end', 'status', 'bids_count', 'clearing_price', 'actions'].map((k) => h('th', {}, t(k))))),
      h('tbody', {}, auctions.slice().sort((a, b) => b.id - a.id).map((a) => h('tr', { dataset: { auctionId: String(a.id), status: a.status } },
        h('td', {}, h('a', { href: `auctions.html?id=${a.id}` }, `#${a.id}`)), h('td', {}, a.code), h('td', {}, `#${a.initiator}`),
        h('td', { class: 'num' }, qty(a.lot)), h('td', {}, datetime(a.start)), h('td', {}, datetime(a.end)),
        h('td', {}, t(`astatus_${a.status}`)), h('td', { class: 'num' }, String(a.bids)),
        h('td', { class: 'num' }, a.status === 'closed' ? show(a.clearing_price) : '—'),
        h('td', {}, a.status !== 'open' ? '' : [
          h('button', { class: 'small primary', type: 'button', onclick: (ev) => act(ev.target, `/api/v1/admin/auctions/${a.id}/close`, {}) }, t('close_auction')),
          hasRole('admin') ? h('button', { class: 'small danger', type: 'button', onclick: (ev) => act(ev.target, `/api/v1/admin/auctions/${a.id}/cancel`, {}) }, t('cancel_auction')) : null])))))
    : h('p', { class: 'empty' }, t('no_auctions')));
}

function renderParams() {
  if (!params) return;
  const rows = (params.params || []).map((p) => h('tr', {},
    h('td', {}, h('code', {}, p.name)), h('td', {}, p.what),
    h('td', { class: 'num' }, String(p.value)), h('td', { class: 'num' }, String(p.default)),
    h('td', {}, p.unit),
    h('td', {}, (p.pending || []).map((c) => `${c.value} ${t('from_date')} ${c.from}`).join(', ') || '—')));
  $('#op-param-list').replaceChildren(h('table', { class: 'grid', id: 'op-param-table' },
    h('thead', {}, h('tr', {}, ...['param_name', 'param_what', 'param_value', 'param_default',
      'param_unit', 'param_pending'].map((k) => h('th', { 'data-i18n': k }, t(k))))),
    h('tbody', {}, ...rows)));
}

function renderAlerts() {
  const box = $('#op-alert-list');
  if (!alerts) {
    box.replaceChildren();
    return;
  }
  const list = (alerts.alerts || []).slice().reverse(); // newest first
  // lost: events the surveillance had no memory to count (docs/rules.md)
  const lost = alerts.lost ? [h('p', { class: 'msg error', id: 'op-alerts-lost' },
    `${t('alerts_lost')} ${alerts.lost}`)] : [];
  if (!list.length) {
    box.replaceChildren(...lost, h('p', { class: 'hint', 'data-i18n': 'no_alerts' }, t('no_alerts')));
    return;
  }
  // occurrences: what the evidence (at most four ids) stands for in all;
  // counterparty: the other participant of a related pair (docs/rules.md)
  box.replaceChildren(...lost, h('table', { class: 'grid', id: 'op-alert-table' },
    h('thead', {}, h('tr', {}, ...['alert_id', 'alert_rule', 'participant', 'counterparty',
      'code', 'trading_date', 'alert_figure', 'alert_threshold', 'alert_occurrences',
      'alert_evidence'].map((k) => h('th', { 'data-i18n': k }, t(k))))),
    h('tbody', {}, ...list.map((a) => h('tr', { dataset: { alertId: String(a.id), rule: a.rule } },
      h('td', { class: 'num' }, String(a.id)), h('td', {}, t(`alert_${a.rule}`)),
      h('td', { class: 'num' }, String(a.participant)),
      h('td', { class: 'num' }, a.counterparty ? String(a.counterparty) : '—'),
      h('td', {}, a.code || '—'),
      h('td', {}, a.date), h('td', { class: 'num' }, String(a.figure)),
      h('td', { class: 'num' }, String(a.threshold)),
      h('td', { class: 'num' }, String(a.occurrences ?? 1)),
      h('td', {}, [...(a.counts || []), ...(a.evidence || [])].join(' ')))))));
}

function render() {
  renderMarket();
  renderLists();
  renderParams();
  renderAlerts();
}

async function refresh() {
  try {
    const admin = hasRole('admin');
    const watch = admin || hasRole('authority');
    const [m, p, u, a, pr, al] = await Promise.all([
      get('/api/v1/market'),
      admin ? get('/api/v1/admin/participants') : null,
      admin ? get('/api/v1/admin/users') : null,
      get('/api/v1/auctions'),
      get('/api/v1/params'),
      watch ? get('/api/v1/alerts?limit=1000') : null]);
    market = m;
    participants = p;
    users = u;
    auctions = a;
    params = pr;
    alerts = al;
    render();
  } catch (e) {
    say(`${t('error')}: ${e.display || e.message}`, 'error');
    if (e.status === 401) requireLogin();
  }
}

// ---- forms --------------------------------------------------------------------------

function fieldOf(key, input) {
  return h('label', { class: 'field' }, h('span', { 'data-i18n': key }, t(key)), input);
}

// A small form whose fields become the JSON body of one call.
function opForm(id, titleKey, fields, path, toBody, confirmKey) {
  const button = h('button', { type: 'submit', 'data-i18n': 'submit' }, t('submit'));
  const form = h('form', { id, class: 'trade-form inline' },
    h('h3', { 'data-i18n': titleKey }, t(titleKey)),
    h('div', { class: 'row' }, fields.map(([name, key, input]) => fieldOf(key, input || h('input', { name, required: true }))),
      button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (confirmKey && !confirm(t(confirmKey))) return;
    const v = Object.fromEntries(new FormData(form).entries());
    v.roles_list = new FormData(form).getAll('roles');
    const p = typeof path === 'function' ? path(v) : path;
    if (await act(button, p, toBody(v))) form.reset();
  });
  return form;
}

function select(name, values) {
  return h('select', { name }, values.map(([v, key]) => h('option', { value: v, 'data-i18n': key }, t(key))));
}

function codeSelect() {
  return h('select', { name: 'code' }, ((market && market.instruments) || []).map((i) => h('option', { value: i.code }, i.code)));
}

// An allocation or emissions file: chosen or pasted, sent as it is; a bad
// file's errors are listed by line and nothing was applied.
function uploadForm(kind) {
  const id = `upload-${kind}`;
  const text = h('textarea', { name: 'csv', rows: 4, spellcheck: 'false', placeholder: kind === 'allocations'
    ? 'entity,vintage,kind,qty,output,benchmark' : 'entity,year,tonnes' });
  const file = h('input', { type: 'file', accept: '.csv,text/csv', name: 'file' });
  file.addEventListener('change', async () => {
    if (file.files[0]) text.value = await file.files[0].text();
  });
  const out = h('div', { class: 'upload-result', id: `${id}-result` });
  const button = h('button', { type: 'submit', class: 'primary' }, t('upload'));
  const form = h('form', { id, class: 'trade-form' },
    h('h3', {}, t(kind === 'allocations' ? 'upload_allocations' : 'upload_emissions')),
    fieldOf('csv_text', text), file, h('div', { class: 'actions' }, button), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const r = await postText(`/api/v1/registry/${kind}/csv`, text.value);
      out.className = 'upload-result ok';
      out.replaceChildren(h('p', {}, `${t('upload_done')}: ${r.allocations ?? r.records}`));
      toast(t('done'), 'ok');
    } catch (e) {
      out.className = 'upload-result error';
      out.replaceChildren(h('p', { class: 'msg error' }, e.errors.length ? t('nothing_applied') : `${t('error')}: ${e.display}`),
        e.errors.length ? h('ol', { class: 'file-errors' }, e.errors.map((line) => h('li', {}, line))) : null);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function auctionForm() {
  const u = currentUser() || {};
  const start = h('input', { name: 'start', type: 'datetime-local', step: 1, required: true });
  const end = h('input', { name: 'end', type: 'datetime-local', step: 1, required: true });
  return opForm('form-auction', 'create_auction', [
    ['participant', 'initiator', h('input', { name: 'participant', type: 'number', min: 2, required: true, value: hasRole('admin') ? null : u.participant })],
    ['code', 'code', codeSelect()],
    ['side', 'side', select('side', [['sell', 'sell_long'], ['buy', 'buy_long']])],
    ['lot', 'lot', h('input', { name: 'lot', type: 'number', min: 100000, step: 1, required: true })],
    ['start', 'start', start], ['end', 'end', end],
    ['mode', 'mode', select('mode', [['uniform', 'mode_uniform'], ['pay_as_bid', 'mode_pay_as_bid']])],
    ['reserve', 'reserve', select('reserve', [['previous_close', 'reserve_previous_close'], ['limit', 'reserve_limit']])],
    ['min_fill_pct', 'min_fill_pct', h('input', { name: 'min_fill_pct', value: '0', inputmode: 'decimal' })]],
  '/api/v1/admin/auctions', (v) => ({
    participant: Number(v.participant), code: v.code, side: v.side, lot: Number(v.lot),
    start: beijingToIso(v.start), end: beijingToIso(v.end), mode: v.mode, reserve: v.reserve, min_fill_pct: v.min_fill_pct.trim() || '0',
  }));
}

function roleBoxes() {
  return h('div', { class: 'roles' }, ROLES.map((r) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'roles', value: r, checked: r === 'view' || r === 'trade' ? true : null }), t(`role_${r}`))));
}

function setupForms() {
  const admin = hasRole('admin');
  const authority = hasRole('authority');
  for (const el of document.querySelectorAll('.admin-only')) el.hidden = !admin;
  for (const el of document.querySelectorAll('.authority-only')) el.hidden = !authority;
  if (!admin && !authority) say(t('admin_only'), 'error');
  const parts = [];
  if (authority) {
    $('#op-uploads').replaceChildren(uploadForm('allocations'), uploadForm('emissions'),
      opForm('form-deadline', 'deadline', [['year', 'year', h('input', { name: 'year', type: 'number', min: 2000, max: 2200, required: true })]],
        '/api/v1/registry/deadline', (v) => ({ year: Number(v.year) }), 'confirm_deadline'));
  }
  if (admin || authority) {
    parts.push(auctionForm(),
      opForm('form-freeze', 'freeze', [['participant', 'participant'],
        ['frozen', 'status', select('frozen', [['true', 'frozen_on'], ['false', 'frozen_off']])]],
      '/api/v1/registry/freeze', (v) => ({ participant: Number(v.participant), frozen: v.frozen === 'true' })));
  }
  if (admin) {
    const kinds = select('kind', [['entity', 'kind_entity'], ['institution', 'kind_institution'],
      ['individual', 'kind_individual'], ['authority', 'kind_authority']]);
    parts.push(
      opForm('form-participant', 'add_participant', [['kind', 'kind', kinds], ['name', 'name']],
        '/api/v1/admin/participants', (v) => ({ kind: v.kind, name: v.name })),
      opForm('form-deposit', 'deposit', [['participant', 'participant'], ['amount', 'amount']],
        '/api/v1/admin/deposits', (v) => ({ participant: Number(v.participant), amount: v.amount.trim() })),
      opForm('form-credit', 'credit', [['participant', 'participant'], ['code', 'code', codeSelect()], ['qty', 'qty']],
        '/api/v1/admin/credits', (v) => ({ participant: Number(v.participant), code: v.code.trim(), qty: Number(v.qty) })),
      opForm('form-status', 'participant_status', [['participant', 'participant'],
        ['status', 'status', select('status', [['active', 'pstatus_active'], ['suspended', 'pstatus_suspended'], ['frozen', 'pstatus_frozen']])]],
      (v) => `/api/v1/admin/participants/${encodeURIComponent(v.participant)}/status`, (v) => ({ status: v.status })),
      opForm('form-user', 'add_user', [['username', 'username'], ['password', 'password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' })],
        ['participant', 'participant'], ['roles', 'roles', roleBoxes()]],
      '/api/v1/admin/users', (v) => ({
        username: v.username.trim(), password: v.password, participant: Number(v.participant), roles: v.roles_list,
      })));
  }
  $('#op-forms').replaceChildren(...parts);
}

initLayout('operator');
if (requireLogin()) {
  refresh().then(() => {
    setupForms();
    for (const i of (market && market.instruments) || []) feed.subscribe('stats', i.code);
  });
  $('#halt-market').addEventListener('click', (ev) => act(ev.target, '/api/v1/admin/halt', { halted: true }));
  $('#resume-market').addEventListener('click', (ev) => act(ev.target, '/api/v1/admin/halt', { halted: false }));
  $('#run-eod').addEventListener('click', (ev) => {
    if (confirm(t('confirm_eod'))) act(ev.target, '/api/v1/admin/end-of-day', {});
  });
  const refreshSoon = debounce(refresh, 500);
  feed.subscribe('auctions');
  feed.on('stats', refreshSoon).on('auctions', refreshSoon);
  feed.start();
  onLangChange(() => {
    render();
    setupForms();
  });
  poll(feed, refresh, 5000, 15000);
}
