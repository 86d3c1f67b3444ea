// account.js -- the logged-in participant's account (account.html): funds,
// holdings (available, frozen, locked T+1), open orders with cancel, today's
// fills, the last statement, and the post/take/withdraw forms.
// Live over the WebSocket's private channels (orders, fills, balances).

import { del, get, post, userRoles } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, clock, h, jsonView, money, qty, show } from './format.js';
import { feed, formMessage, initLayout, requireLogin, toast } from './layout.js';
import { debounce, poll } from './ws.js';
import { postForm, takeForm } from './tradeforms.js';

let account = null;
let orders = [];
let fills = [];
let statement = null;
let codes = [];

function showError(e) {
  const el = $('#acct-error');
  el.hidden = !e;
  if (e) el.textContent = `${t('error')}: ${e.display || e.message}`;
}

function renderAccount() {
  if (!account) return;
  $('#acct-name').textContent = `${show(account.name)} #${show(account.participant)} · ${t(`kind_${account.kind}`)}`;
  $('#funds-available').textContent = money(account.available);
  $('#funds-frozen').textContent = money(account.frozen);
  $('#funds-withdrawable').textContent = money(account.withdrawable);
  $('#acct-status').textContent = t(`pstatus_${account.status}`);
  const rows = (account.holdings || []).map((x) => h('tr', { dataset: { code: x.code } },
    h('td', {}, h('a', { class: 'code', href: `instrument.html?code=${encodeURIComponent(x.code)}` }, x.code)),
    h('td', { class: 'num', dataset: { f: 'available' } }, qty(x.available)),
    h('td', { class: 'num', dataset: { f: 'frozen' } }, qty(x.frozen)),
    h('td', { class: 'num', dataset: { f: 'locked' } }, qty(x.locked))));
  $('#holdings-rows').replaceChildren(...(rows.length ? rows
    : [h('tr', {}, h('td', { colspan: 4, class: 'empty' }, t('no_holdings')))]));
}

function renderOrders() {
  const rows = orders.map((o) => h('tr', { dataset: { orderId: String(o.order_id) } },
    h('td', {}, String(o.order_id)),
    h('td', {}, o.code),
    h('td', { class: o.side === 'buy' ? 'up' : 'down' }, t(o.side === 'buy' ? 'buy' : 'sell')),
    h('td', { class: 'num' }, show(o.price)),
    h('td', { class: 'num' }, qty(o.qty)),
    h('td', { class: 'num' }, qty(o.filled_qty)),
    h('td', {}, t(`tif_${o.tif}`)),
    h('td', {}, clock(o.ts)),
    h('td', {}, h('button', { class: 'small danger cancel', type: 'button', onclick: (ev) => cancel(o, ev.target) }, t('cancel')))));
  $('#orders-rows').replaceChildren(...(rows.length ? rows
    : [h('tr', {}, h('td', { colspan: 9, class: 'empty' }, t('no_orders')))]));
}

function renderFills() {
  const cols = ['ts', 'code', 'side', 'method', 'price', 'qty', 'value', 'fee', 'liquidity', 'order_id', 'trade_id'];
  const rows = fills.map((f) => Object.fromEntries(cols.map((c) => [c, f[c]])));
  $('#fills').replaceChildren(jsonView(rows, t, cols) || h('p', { class: 'empty' }, t('no_fills')));
}

// The statement's lines add up: opening + bought - sold + registry moves
// (allocations, surrenders, retirements, transfers, issuance) = closing.
function renderStatement() {
  const lineCols = ['code', 'open_qty', 'bought_qty', 'bought_value', 'sold_qty', 'sold_value', 'registry_qty', 'close_qty'];
  const st = statement && { ...statement, lines: (statement.lines || []).map((l) => Object.fromEntries(lineCols.map((c) => [c, l[c]]))) };
  $('#statement').replaceChildren((st && jsonView(st, t)) || h('p', { class: 'empty' }, t('no_statement')));
}

async function cancel(o, button) {
  button.disabled = true;
  try {
    await del(`/api/v1/orders/${encodeURIComponent(o.order_id)}`);
    toast(`${t('cancelled')}: ${o.order_id}`, 'ok');
    refreshSoon();
  } catch (e) {
    toast(`${t('error')}: ${e.display || e.message}`, 'error');
    button.disabled = false;
  }
}

async function refresh() {
  try {
    [account, orders, fills] = await Promise.all([
      get('/api/v1/account'), get('/api/v1/orders'), get('/api/v1/fills')]);
    showError(null);
    renderAccount();
    renderOrders();
    renderFills();
  } catch (e) {
    showError(e);
    if (e.status === 401) requireLogin();
  }
}

// There is no statement before the first end of day, and asking would be a
// 404 (which the browser logs as an error): ask only once a closed day shows
// in the daily bars.
async function loadStatement() {
  try {
    const list = await get('/api/v1/instruments');
    const days = list.length ? await get(`/api/v1/instruments/${encodeURIComponent(list[0].code)}/bars?interval=1d`) : [];
    statement = days.length ? await get('/api/v1/statement') : null;
  } catch (e) {
    statement = null;
    if (e.status !== 404) showError(e);
  }
  renderStatement();
}

function withdrawForm() {
  const msg = h('p', { class: 'msg', id: 'withdraw-msg' });
  const button = h('button', { type: 'submit', 'data-i18n': 'submit' }, t('submit'));
  const form = h('form', { id: 'withdraw-form', class: 'trade-form' },
    h('h3', { 'data-i18n': 'withdraw' }, t('withdraw')),
    h('label', { class: 'field' }, h('span', { 'data-i18n': 'amount' }, t('amount')),
      h('input', { name: 'amount', inputmode: 'decimal', placeholder: '0.00', required: true })),
    h('div', { class: 'actions' }, button), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      await post('/api/v1/withdrawals', { amount: form.elements.amount.value.trim() });
      formMessage(msg, t('done'), 'ok');
      refreshSoon();
    } catch (e) {
      formMessage(msg, `${t('error')}: ${e.display || e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function setupForms() {
  try {
    codes = (await get('/api/v1/instruments')).map((i) => i.code);
  } catch (e) {
    showError(e);
  }
  const box = $('#acct-forms');
  const roles = userRoles();
  const parts = [];
  if (roles.includes('trade') || roles.includes('admin')) {
    parts.push(postForm({ codes, onDone: refreshSoon }), takeForm({ codes, onDone: refreshSoon }));
  }
  if (roles.includes('funds')) parts.push(withdrawForm());
  box.replaceChildren(...parts);
  box.hidden = !parts.length;
}

const refreshSoon = debounce(refresh, 300);

initLayout('account');
if (requireLogin()) {
  setupForms();
  feed.authenticate();
  for (const ch of ['orders', 'fills', 'balances']) feed.subscribe(ch);
  feed.on('orders', refreshSoon).on('fills', refreshSoon).on('balances', refreshSoon);
  feed.start();
  onLangChange(() => {
    renderAccount();
    renderOrders();
    renderFills();
    renderStatement();
  });
  refresh();
  loadStatement();
  poll(feed, refresh);
}
