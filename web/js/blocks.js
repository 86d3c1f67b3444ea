// blocks.js -- block agreements (blocks.html, 大宗协议): the board's quotes,
// the caller's negotiations with their history, and the forms to quote,
// propose, counter, accept, decline and withdraw.
//
// A negotiation is a chain: a quote or a direct proposal, then proposals that
// answer the one before ("answers"). The page groups the day's blocks by the
// chain's first step and lists each chain's steps in order, so the history
// reads top to bottom. Accepting repeats the proposal's terms with the
// opposite side (the engine compares them): the page sends the terms it
// shows, after a confirmation. Live over the WebSocket's blocks channel.

import { currentUser, del, get, hasRole, post } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, clock, fenToStr, h, money, qty, show } from './format.js';
import { feed, formMessage, initLayout, requireLogin, toast } from './layout.js';
import { debounce, poll } from './ws.js';

let blocks = [];
let codes = [];
const me = () => (currentUser() || {}).participant;

function showError(e) {
  const el = $('#blk-error');
  el.hidden = !e;
  if (e) el.textContent = `${t('error')}: ${e.display || e.message}`;
}

const other = (side) => (side === 'buy' ? 'sell' : 'buy');
const sideCell = (side) => h('td', { class: side === 'buy' ? 'up' : 'down' }, t(side === 'buy' ? 'buy' : 'sell'));
const status = (b) => h('span', { class: `badge b-${b.status}` }, t(`bstatus_${b.status}`));

// Reserved: funds for a buyer, tonnes for a seller.
function reservedText(b) {
  if (!b.reserved) return '—';
  return b.side === 'buy' ? money(fenToStr(BigInt(b.reserved))) : `${qty(b.reserved)} ${t('tonnes')}`;
}

async function act(button, method, path, body, done) {
  if (button) button.disabled = true;
  try {
    const r = method === 'DELETE' ? await del(path) : await post(path, body);
    toast(done || t('done'), 'ok');
    refreshSoon();
    return r;
  } catch (e) {
    toast(`${t('error')}: ${e.display || e.message}`, 'error');
    showError(e);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

function accept(b, button) {
  const terms = `#${b.id} ${b.code} ${t(other(b.side))} ${b.price} × ${qty(b.qty)} ${t('tonnes')}`;
  if (!confirm(`${t('confirm_accept')}\n${terms}`)) return;
  act(button, 'POST', `/api/v1/blocks/${b.id}/accept`,
    { code: b.code, side: other(b.side), price: b.price, qty: b.qty }, `${t('bstatus_accepted')}: ${terms}`);
}

function actions(b) {
  if (b.status !== 'open') return b.trade_id ? `${t('trade_id_short')} ${b.trade_id}` : '';
  const mine = b.owner === me();
  const toMe = b.counterparty === me();
  const out = [];
  if (mine) {
    out.push(h('button', { class: 'small danger withdraw', type: 'button', onclick: (ev) => act(ev.target, 'DELETE', `/api/v1/blocks/${b.id}`) }, t('withdraw_block')));
  } else {
    if (toMe && b.type === 'proposal') {
      out.push(h('button', { class: 'small primary accept', type: 'button', onclick: (ev) => accept(b, ev.target) }, t('accept')));
      out.push(h('button', { class: 'small danger decline', type: 'button', onclick: (ev) => act(ev.target, 'POST', `/api/v1/blocks/${b.id}/decline`, {}) }, t('decline')));
    }
    if (toMe || b.type === 'quote') {
      out.push(h('button', { class: 'small counter', type: 'button', onclick: () => startCounter(b) }, t(b.type === 'quote' ? 'answer' : 'counter')));
    }
  }
  return out;
}

function renderBoard() {
  const quotes = blocks.filter((b) => b.type === 'quote');
  const rows = quotes.map((b) => h('tr', { dataset: { blockId: String(b.id), status: b.status } },
    h('td', {}, String(b.id)), h('td', {}, b.code), sideCell(b.side),
    h('td', { class: 'num strong' }, show(b.price)), h('td', { class: 'num' }, qty(b.qty)),
    h('td', {}, b.owner === me() ? `#${b.owner} (${t('mine')})` : `#${b.owner}`),
    h('td', {}, status(b)), h('td', {}, clock(b.ts)), h('td', { class: 'acts' }, actions(b))));
  $('#board-rows').replaceChildren(...(rows.length ? rows
    : [h('tr', {}, h('td', { colspan: 9, class: 'empty' }, t('no_blocks')))]));
}

// Chains of answers: the root of each block, following "answers" up.
function chains() {
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const rootOf = (b) => {
    for (let i = 0; i < 1000 && b.answers && byId.has(b.answers); i++) b = byId.get(b.answers);
    return b.id;
  };
  const groups = new Map();
  for (const b of blocks) {
    if (b.type === 'quote' && !blocks.some((x) => x.answers === b.id)) continue; // a quote alone: the board
    const r = rootOf(b);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r).push(b);
  }
  for (const g of groups.values()) g.sort((a, b) => a.id - b.id);
  return [...groups.entries()].sort((a, b) => b[0] - a[0]);
}

function renderNegotiations() {
  const list = chains().map(([root, steps]) => {
    const last = steps[steps.length - 1];
    return h('div', { class: 'chain', dataset: { root: String(root), status: last.status } },
      h('h3', {}, `${steps[0].code} · #${root} · `, status(last)),
      h('table', { class: 'grid compact' },
        h('thead', {}, h('tr', {}, ['id', 'type', 'side', 'price', 'qty', 'owner', 'counterparty', 'reserved', 'status', 'time', 'actions']
          .map((k) => h('th', { class: ['price', 'qty', 'reserved'].includes(k) ? 'num' : null }, t(k))))),
        h('tbody', {}, steps.map((b) => h('tr', { dataset: { blockId: String(b.id), status: b.status } },
          h('td', {}, String(b.id)), h('td', {}, t(`type_${b.type}`)), sideCell(b.side),
          h('td', { class: 'num strong' }, show(b.price)), h('td', { class: 'num' }, qty(b.qty)),
          h('td', {}, `#${b.owner}${b.owner === me() ? ` (${t('mine')})` : ''}`),
          h('td', {}, b.counterparty ? `#${b.counterparty}${b.counterparty === me() ? ` (${t('to_me')})` : ''}` : '—'),
          h('td', { class: 'num' }, reservedText(b)), h('td', {}, status(b)), h('td', {}, clock(b.ts)),
          h('td', { class: 'acts' }, actions(b)))))));
  });
  $('#negotiations').replaceChildren(...(list.length ? list : [h('p', { class: 'empty' }, t('no_blocks'))]));
}

function render() {
  renderBoard();
  renderNegotiations();
}

async function refresh() {
  try {
    blocks = await get('/api/v1/blocks');
    showError(null);
    render();
  } catch (e) {
    showError(e);
    if (e.status === 401) requireLogin();
  }
}

const refreshSoon = debounce(refresh, 250);

// ---- forms ----------------------------------------------------------------

function field(key, input) {
  return h('label', { class: 'field' }, h('span', { 'data-i18n': key }, t(key)), input);
}

function termsFields(extra = []) {
  return [
    h('div', { class: 'row' },
      field('code', h('select', { name: 'code' }, codes.map((c) => h('option', { value: c }, c)))),
      field('side', h('select', { name: 'side' }, h('option', { value: 'buy' }, t('buy_long')), h('option', { value: 'sell' }, t('sell_long'))))),
    h('div', { class: 'row' },
      field('price', h('input', { name: 'price', inputmode: 'decimal', required: true, placeholder: '0.00' })),
      field('qty', h('input', { name: 'qty', type: 'number', min: 100000, step: 1, required: true, placeholder: '100000' }))),
    ...extra,
  ];
}

function blockForm(id, titleKey, extra, path, body) {
  const msg = h('p', { class: 'msg', id: `${id}-msg` });
  const button = h('button', { type: 'submit', class: 'primary' }, t('submit'));
  const form = h('form', { id, class: 'trade-form', autocomplete: 'off' },
    h('h3', { 'data-i18n': titleKey }, t(titleKey)), ...termsFields(extra), h('div', { class: 'actions' }, button), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const b = { code: f.code.value, side: f.side.value, price: f.price.value.trim(), qty: Number(f.qty.value), ...body(f) };
    button.disabled = true;
    try {
      const r = await post(path, b);
      formMessage(msg, `${t('done')}: #${r.id} ${r.code} ${t(r.side)} ${r.price} × ${qty(r.qty)} ${t('tonnes')}`, 'ok');
      msg.dataset.blockId = String(r.id);
      refreshSoon();
    } catch (e) {
      formMessage(msg, `${t('error')}: ${e.display || e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// Answer a quote or counter a proposal: its instrument, the opposite side,
// the caller's price and quantity.
function startCounter(b) {
  const form = $('#counter-form');
  form.hidden = false;
  const f = form.elements;
  f.answers.value = String(b.id);
  f.code.value = b.code;
  f.side.value = other(b.side);
  f.price.value = b.price;
  f.qty.value = String(b.qty);
  f.price.focus();
}

function setupForms() {
  const box = $('#blk-forms');
  if (!hasRole('trade')) {
    box.replaceChildren(h('p', { class: 'hint' }, t('login_to_trade')));
    return;
  }
  const counter = blockForm('counter-form', 'counter_title',
    [field('answers', h('input', { name: 'answers', readonly: true }))],
    '/api/v1/blocks/proposals', (f) => ({ answers: Number(f.answers.value) }));
  counter.hidden = true;
  box.replaceChildren(
    counter,
    blockForm('proposal-form', 'new_proposal',
      [field('counterparty', h('input', { name: 'counterparty', type: 'number', min: 2, required: true }))],
      '/api/v1/blocks/proposals', (f) => ({ counterparty: Number(f.counterparty.value) })),
    blockForm('quote-form', 'new_quote', [], '/api/v1/blocks/quotes', () => ({})));
}

initLayout('blocks');
if (requireLogin()) {
  get('/api/v1/instruments').then((list) => {
    codes = list.map((i) => i.code);
    setupForms();
  }).catch(showError);
  feed.authenticate();
  feed.subscribe('blocks');
  feed.on('blocks', refreshSoon);
  feed.start();
  onLangChange(() => {
    render();
    setupForms();
  });
  refresh();
  poll(feed, refresh);
}
