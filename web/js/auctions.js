// auctions.js -- one-way bidding (auctions.html, 单向竞价): every auction,
// announced (its window not begun), open, and ended (closed with its clearing
// price, failed, cancelled); one auction's detail with the caller's bids and
// what they reserve (an operator sees every bid), the bid form while the
// window is open, and for the operator Close and Cancel. Times are Beijing
// time. Live over the WebSocket's auctions channel (public).

import { currentUser, get, hasRole, post } from './api.js';
import { getLang, onLangChange, t } from './i18n.js';
import { $, datetime, fenToStr, h, money, qty, show, toUnixSeconds } from './format.js';
import { feed, formMessage, initLayout, toast } from './layout.js';
import { debounce, poll } from './ws.js';

let auctions = [];
let selected = Number(new URLSearchParams(location.search).get('id')) || null;
let detail = null;

function showError(e) {
  const el = $('#auc-error');
  el.hidden = !e;
  if (e) el.textContent = `${t('error')}: ${e.display || e.message}`;
}

// "announced" is a view of "open" before its window: the engine knows one
// status, a person two.
function statusOf(a) {
  if (a.status === 'open' && toUnixSeconds(a.start) > Date.now() / 1000) return 'announced';
  return a.status;
}

const badge = (a) => h('span', { class: `badge a-${statusOf(a)}` }, t(`astatus_${statusOf(a)}`));

function renderList() {
  const order = { open: 0, announced: 1, closed: 2, failed: 3, cancelled: 4 };
  const list = [...auctions].sort((x, y) => (order[statusOf(x)] - order[statusOf(y)]) || (y.id - x.id));
  const rows = list.map((a) => h('tr', { dataset: { auctionId: String(a.id), status: statusOf(a) }, class: a.id === selected ? 'selected' : null },
    h('td', {}, h('a', { href: `?id=${a.id}`, class: 'code', onclick: (ev) => { ev.preventDefault(); select(a.id); } }, `#${a.id}`)),
    h('td', {}, a.code), h('td', {}, `#${a.initiator}`), h('td', {}, t(a.side === 'sell' ? 'sell' : 'buy')),
    h('td', {}, t(`mode_${a.mode}`)), h('td', {}, badge(a)), h('td', { class: 'num' }, qty(a.lot)),
    h('td', {}, datetime(a.start)), h('td', {}, datetime(a.end)),
    h('td', { class: 'num' }, show(a.reserve_price)), h('td', { class: 'num' }, show(a.bid_limit)),
    h('td', { class: 'num' }, String(a.bids)), h('td', { class: 'num' }, qty(a.filled)),
    h('td', { class: 'num strong' }, a.status === 'closed' ? show(a.clearing_price) : '—')));
  $('#auction-rows').replaceChildren(...(rows.length ? rows
    : [h('tr', {}, h('td', { colspan: 14, class: 'empty' }, t('no_auctions')))]));
}

// A bid reserves funds (the initiator sells) or tonnes (it buys).
function reservedText(a, fen) {
  return a.side === 'sell' ? money(fenToStr(BigInt(fen))) : `${qty(fen)} ${t('tonnes')}`;
}

function bidsTable(a, bids, titleKey) {
  return h('div', { class: 'nested' }, h('h3', {}, t(titleKey)),
    bids.length ? h('table', { class: 'grid compact', id: titleKey === 'my_bids' ? 'my-bids' : 'all-bids' },
      h('thead', {}, h('tr', {}, ['id', 'participant', 'price', 'qty', 'filled', 'reserved', 'time']
        .map((k) => h('th', { class: ['price', 'qty', 'filled', 'reserved'].includes(k) ? 'num' : null }, t(k))))),
      h('tbody', {}, bids.map((b) => h('tr', { dataset: { bidId: String(b.id) } },
        h('td', {}, String(b.id)), h('td', {}, `#${b.participant}`), h('td', { class: 'num' }, show(b.price)),
        h('td', { class: 'num' }, qty(b.qty)), h('td', { class: 'num', dataset: { f: 'filled' } }, qty(b.filled)),
        h('td', { class: 'num', dataset: { f: 'reserved' } }, reservedText(a, b.reserved)), h('td', {}, datetime(b.ts))))))
      : h('p', { class: 'empty' }, '—'));
}

function renderDetail() {
  const box = $('#auction-detail');
  const side = $('#auction-side');
  box.hidden = !detail;
  side.hidden = !detail;
  if (!detail) return;
  const a = detail;
  const kv = (k, v, id) => [h('dt', {}, t(k)), h('dd', id ? { id } : {}, v)];
  box.replaceChildren(
    h('h2', {}, `${t('auctions_title')} #${a.id} · ${a.code} · `, badge(a)),
    h('dl', { class: 'kv' },
      ...kv('initiator', `#${a.initiator} (${t(a.side === 'sell' ? 'sell_long' : 'buy_long')})`),
      ...kv('mode', t(`mode_${a.mode}`)), ...kv('lot', `${qty(a.lot)} ${t('tonnes')}`),
      ...kv('min_fill_pct', show(a.min_fill_pct)),
      ...kv('start', `${datetime(a.start)} (${t('beijing_time')})`), ...kv('end', datetime(a.end)),
      ...kv('reserve_price', show(a.reserve_price)), ...kv('bid_limit', show(a.bid_limit)),
      ...kv('bids_count', String(a.bids))),
    a.status === 'closed' || a.status === 'failed'
      ? h('div', { class: 'result', id: 'auction-result' }, h('h3', {}, t('result')),
        h('dl', { class: 'kv' },
          ...kv('clearing_price', show(a.clearing_price), 'clearing-price'),
          ...kv('filled', `${qty(a.filled)} ${t('tonnes')}`, 'auction-filled'),
          ...kv('value', money(a.value)), ...kv('winners', String(a.winners))))
      : null,
    a.own_bids ? bidsTable(a, a.own_bids, 'my_bids') : null,
    a.bid_list ? bidsTable(a, a.bid_list, 'every_bid') : null);
  const parts = [];
  const now = Date.now() / 1000;
  if (a.status === 'open' && hasRole('trade') && toUnixSeconds(a.end) > now) parts.push(bidForm(a));
  else bidFormOf = null;
  if (a.status === 'open' && hasRole('admin')) {
    parts.push(h('div', { class: 'actions' },
      h('button', { id: 'close-auction', class: 'primary', type: 'button', onclick: (ev) => end(a, 'close', ev.target) }, t('close_auction')),
      h('button', { id: 'cancel-auction', class: 'danger', type: 'button', onclick: (ev) => end(a, 'cancel', ev.target) }, t('cancel_auction'))));
  }
  side.replaceChildren(...parts);
  side.hidden = !parts.length;
}

// The form outlives the re-renders a live update causes: what was typed and
// the last answer stay.
let bidFormOf = null; // {id, lang, form}

function bidForm(a) {
  if (bidFormOf && bidFormOf.id === a.id && bidFormOf.lang === getLang()) return bidFormOf.form;
  const form = makeBidForm(a);
  bidFormOf = { id: a.id, lang: getLang(), form };
  return form;
}

function makeBidForm(a) {
  const msg = h('p', { class: 'msg', id: 'bid-msg' });
  const button = h('button', { type: 'submit', class: 'primary', id: 'bid-submit' }, t('place_bid'));
  const form = h('form', { id: 'bid-form', class: 'trade-form', autocomplete: 'off' },
    h('h3', {}, t('bid_title')),
    h('div', { class: 'row' },
      h('label', { class: 'field' }, h('span', {}, t('price')), h('input', { name: 'price', inputmode: 'decimal', required: true, placeholder: a.reserve_price })),
      h('label', { class: 'field' }, h('span', {}, t('qty')), h('input', { name: 'qty', type: 'number', min: 1, step: 1, required: true }))),
    h('div', { class: 'actions' }, button), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    try {
      const r = await post(`/api/v1/auctions/${a.id}/bids`, { price: form.elements.price.value.trim(), qty: Number(form.elements.qty.value) });
      formMessage(msg, `${t('done')}: #${r.bid_id} ${r.price} × ${qty(r.qty)} ${t('tonnes')}`, 'ok');
      loadDetail();
    } catch (e) {
      formMessage(msg, `${t('error')}: ${e.display || e.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function end(a, what, button) {
  button.disabled = true;
  try {
    detail = await post(`/api/v1/admin/auctions/${a.id}/${what}`, {});
    toast(t('done'), 'ok');
    renderDetail();
    refreshSoon();
  } catch (e) {
    toast(`${t('error')}: ${e.display || e.message}`, 'error');
    showError(e);
  } finally {
    button.disabled = false;
  }
}

async function loadDetail() {
  if (!selected) return;
  try {
    detail = await get(`/api/v1/auctions/${selected}`);
    renderDetail();
  } catch (e) {
    showError(e);
  }
}

function select(id) {
  selected = id;
  history.replaceState(null, '', `?id=${id}`);
  renderList();
  loadDetail();
}

async function refresh() {
  try {
    auctions = await get('/api/v1/auctions');
    showError(null);
    renderList();
    if (selected) await loadDetail();
  } catch (e) {
    showError(e);
  }
}

const refreshSoon = debounce(refresh, 250);

initLayout('auctions');
feed.subscribe('auctions');
feed.on('auctions', refreshSoon);
if (currentUser()) {
  feed.authenticate();
  feed.subscribe('balances'); // the caller's bids' reservations and fills
  feed.on('balances', () => { if (selected) loadDetail(); });
}
feed.start();
onLangChange(() => {
  renderList();
  renderDetail();
});
refresh();
poll(feed, refresh);
