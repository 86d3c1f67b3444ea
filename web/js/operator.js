// operator.js -- the exchange operator's page (operator.html, role admin):
// market state, halt/resume per instrument and market-wide, end of day,
// participants (add, status, deposits, credits) and users.

import { get, isAdmin, post } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, h, jsonView, qty, show } from './format.js';
import { feed, initLayout, requireLogin, toast } from './layout.js';
import { debounce, poll } from './ws.js';

let market = null;
let participants = null;
let users = null;

// Outcomes go to a toast; an error also stays on the page until the next success.
function say(text, kind) {
  const el = $('#op-msg');
  el.hidden = kind !== 'error';
  el.textContent = text;
  el.className = `msg ${kind}`;
  toast(text, kind);
}

// Run an operator action, report its outcome, refresh.
async function act(button, path, body) {
  if (button) button.disabled = true;
  try {
    await post(path, body);
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

function render() {
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
  const label = (k) => t(k);
  const cols = ['id', 'name', 'kind', 'status', 'available', 'frozen', 'withdrawable', 'open_orders'];
  const rows = (participants || []).map((p) => Object.fromEntries(cols.map((c) => [c, p[c]])));
  $('#op-participants').replaceChildren(jsonView(rows, label, cols) || h('p', { class: 'empty' }, t('no_data')));
  $('#op-users').replaceChildren(jsonView(users || [], label) || h('p', { class: 'empty' }, t('no_data')));
}

async function refresh() {
  try {
    [market, participants, users] = await Promise.all([
      get('/api/v1/market'), get('/api/v1/admin/participants'), get('/api/v1/admin/users')]);
    render();
  } catch (e) {
    say(`${t('error')}: ${e.display || e.message}`, 'error');
    if (e.status === 401) requireLogin();
  }
}

// A small form whose fields become the JSON body of one admin call.
function adminForm(id, titleKey, fields, path, toBody) {
  const button = h('button', { type: 'submit', 'data-i18n': 'submit' }, t('submit'));
  const form = h('form', { id, class: 'trade-form inline' },
    h('h3', { 'data-i18n': titleKey }, t(titleKey)),
    h('div', { class: 'row' }, fields.map(([name, key, input]) =>
      h('label', { class: 'field' }, h('span', { 'data-i18n': key }, t(key)), input || h('input', { name, required: true }))),
    button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    const p = typeof path === 'function' ? path(v) : path;
    if (await act(button, p, toBody(v))) form.reset();
  });
  return form;
}

function select(name, values) {
  return h('select', { name }, values.map(([v, key]) => h('option', { value: v, 'data-i18n': key }, t(key))));
}

function setupForms() {
  const kinds = select('kind', [['entity', 'kind_entity'], ['institution', 'kind_institution'],
    ['individual', 'kind_individual'], ['authority', 'kind_authority']]);
  $('#op-forms').replaceChildren(
    adminForm('form-participant', 'add_participant', [['kind', 'kind', kinds], ['name', 'name']],
      '/api/v1/admin/participants', (v) => ({ kind: v.kind, name: v.name })),
    adminForm('form-deposit', 'deposit', [['participant', 'participant'], ['amount', 'amount']],
      '/api/v1/admin/deposits', (v) => ({ participant: Number(v.participant), amount: v.amount.trim() })),
    adminForm('form-credit', 'credit', [['participant', 'participant'], ['code', 'code'], ['qty', 'qty']],
      '/api/v1/admin/credits', (v) => ({ participant: Number(v.participant), code: v.code.trim(), qty: Number(v.qty) })),
    adminForm('form-status', 'participant_status', [['participant', 'participant'],
      ['status', 'status', select('status', [['active', 'pstatus_active'], ['suspended', 'pstatus_suspended'], ['frozen', 'pstatus_frozen']])]],
    (v) => `/api/v1/admin/participants/${encodeURIComponent(v.participant)}/status`, (v) => ({ status: v.status })),
    adminForm('form-user', 'add_user', [['username', 'username'], ['password', 'password', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' })],
      ['participant', 'participant'], ['roles', 'roles', h('input', { name: 'roles', value: 'trade,funds', required: true })]],
    '/api/v1/admin/users', (v) => ({
      username: v.username.trim(), password: v.password, participant: Number(v.participant),
      roles: v.roles.split(/[,\s]+/).filter(Boolean),
    })));
}

initLayout('operator');
if (requireLogin()) {
  if (!isAdmin()) say(t('admin_only'), 'error');
  setupForms();
  $('#halt-market').addEventListener('click', (ev) => act(ev.target, '/api/v1/admin/halt', { halted: true }));
  $('#resume-market').addEventListener('click', (ev) => act(ev.target, '/api/v1/admin/halt', { halted: false }));
  $('#run-eod').addEventListener('click', (ev) => {
    if (confirm(t('confirm_eod'))) act(ev.target, '/api/v1/admin/end-of-day', {});
  });
  const refreshSoon = debounce(refresh, 500);
  feed.on('stats', refreshSoon);
  feed.start();
  onLangChange(render);
  refresh().then(() => {
    for (const i of (market && market.instruments) || []) feed.subscribe('stats', i.code);
  });
  poll(feed, refresh, 5000, 15000);
}
