// instrument.js -- one instrument (instrument.html?code=CEA25): the best five
// levels with their listings (click one to take it), the trade tape, 1-minute
// candles with volume, the depth chart, and the post/take forms.
// Live over the WebSocket (depth, trades, stats); REST refresh as fallback.

import { currentUser, get } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, changePct, clock, h, money, qty, show, trendClass } from './format.js';
import { feed, initLayout, toast } from './layout.js';
import { debounce, poll } from './ws.js';
import { CandleChart, DepthChart } from './charts.js';
import { postForm, takeForm } from './tradeforms.js';

const code = new URLSearchParams(location.search).get('code') || 'CEA25';
const path = `/api/v1/instruments/${encodeURIComponent(code)}`;
let inst = null;
let depth = { bids: [], asks: [] };
let tape = [];
let candles = null;
let depthChart = null;
let take = null;

function showError(e) {
  const el = $('#inst-error');
  el.hidden = !e;
  if (e) el.textContent = `${t('error')}: ${e.display || e.message}`;
}

function renderHead() {
  if (!inst) return;
  document.title = `CETS · ${inst.code}`;
  $('#inst-code').textContent = inst.code;
  $('#inst-product').textContent = `${show(inst.product)} · ${t(`matching_${inst.matching}`)}`;
  const st = $('#inst-status');
  st.textContent = t(`status_${inst.status}`);
  st.className = `badge ${inst.status}`;
  const last = $('#inst-last');
  last.textContent = show(inst.last);
  last.className = `huge ${trendClass(inst.last, inst.prev_close)}`;
  const ch = changePct(inst.change_pct);
  const c = $('#inst-change');
  c.textContent = ch.text;
  c.className = ch.cls;
  const stat = (key, v, cls = '') => [h('dt', {}, t(key)), h('dd', { class: cls }, v)];
  $('#inst-stats').replaceChildren(
    ...stat('prev_close', show(inst.prev_close)),
    ...stat('open', show(inst.open), trendClass(inst.open, inst.prev_close)),
    ...stat('high', show(inst.high), trendClass(inst.high, inst.prev_close)),
    ...stat('low', show(inst.low), trendClass(inst.low, inst.prev_close)),
    ...stat('listing_volume', `${qty(inst.volume)} ${t('tonnes')}`),
    ...stat('turnover', money(inst.turnover)),
    ...stat('block_volume', `${qty(inst.block_volume)} ${t('tonnes')}`),
    ...stat('auction_volume', `${qty(inst.auction_volume)} ${t('tonnes')}`),
    ...stat('trades_count', qty(inst.trades)),
    ...stat('band', `${show(inst.lower)} – ${show(inst.upper)}`));
}

// Listings shown per level before "+N more": a level with 19 listings must
// not make a column as tall as the page. The level's price opens them all.
const CHIPS_SHOWN = 4;
const expanded = new Set(); // "ask|75.00": levels opened by a click

// Asks from the fifth level down to the best, then bids from the best: the
// spread sits in the middle, as on every exchange screen.
function renderBook() {
  const row = (side, lvl, i) => {
    const takeSide = side === 'ask' ? 'buy' : 'sell';
    const orders = lvl ? lvl.orders || [] : [];
    const key = `${side}|${lvl ? lvl.price : ''}`;
    const open = expanded.has(key);
    const chips = (open ? orders : orders.slice(0, CHIPS_SHOWN)).map((o) =>
      h('button', {
        class: `chip ${side}`, type: 'button', title: `${t('take')} #${o.order_id}`,
        dataset: { orderId: String(o.order_id), qty: String(o.qty), side },
        onclick: () => onListing(o, takeSide),
      }, `#${o.order_id}·${qty(o.qty)}`));
    const hidden = (lvl ? lvl.count || orders.length : 0) - chips.length;
    if (hidden > 0 || open) {
      chips.push(h('button', {
        class: 'chip more', type: 'button',
        onclick: () => {
          if (open) expanded.delete(key);
          else expanded.add(key);
          renderBook();
        },
      }, open ? t('less') : `+${hidden} ${t('more')}`));
    }
    return h('tr', { class: side, dataset: lvl ? { price: lvl.price } : {} },
      h('td', { class: 'lvl' }, `${t(side === 'ask' ? 'ask_n' : 'bid_n')}${i + 1}`),
      h('td', { class: 'num strong' }, lvl ? show(lvl.price) : '—'),
      h('td', { class: 'num' }, lvl ? qty(lvl.qty) : ''),
      h('td', { class: 'chips' }, chips));
  };
  const asks = [];
  for (let i = 4; i >= 0; i--) asks.push(row('ask', depth.asks[i], i));
  const bids = [];
  for (let i = 0; i < 5; i++) bids.push(row('bid', depth.bids[i], i));
  $('#book-asks').replaceChildren(...asks);
  $('#book-bids').replaceChildren(...bids);
  if (depthChart) depthChart.setDepth(depth.bids, depth.asks);
}

function onListing(o, takeSide) {
  if (!take) {
    toast(t('login_to_trade'), 'error');
    return;
  }
  take.addTarget(o.order_id, o.qty, takeSide);
}

// The tape names each trade's method: a 100,000 t block or auction print is
// not a listing trade, and never moves the last price.
function renderTape() {
  const rows = tape.slice(0, 100).map((tr) => h('tr', {
    class: tr.method && tr.method !== 'listing' ? `big ${tr.method}` : null,
    dataset: { tradeId: String(tr.trade_id), method: tr.method || 'listing' },
  },
    h('td', {}, clock(tr.ts ?? tr.ts_ns)),
    h('td', { class: 'num strong' }, show(tr.price)),
    h('td', { class: 'num' }, qty(tr.qty)),
    h('td', { class: tr.aggressor === 'buy' ? 'up' : 'down' }, t(tr.aggressor === 'buy' ? 'buy' : 'sell')),
    h('td', { class: 'method' }, t(`method_${tr.method || 'listing'}`))));
  $('#tape-rows').replaceChildren(...(rows.length ? rows
    : [h('tr', {}, h('td', { colspan: 5, class: 'empty' }, t('no_data')))]));
}

async function loadInstrument() {
  inst = await get(path);
  renderHead();
}

async function loadDepth() {
  depth = await get(`${path}/depth`);
  renderBook();
}

async function loadTape() {
  tape = await get(`${path}/trades?limit=100`);
  renderTape();
}

async function loadBars() {
  if (!candles) return;
  candles.setBars(await get(`${path}/bars?interval=1m`));
}

async function refreshAll() {
  try {
    await Promise.all([loadInstrument(), loadDepth(), loadTape(), loadBars()]);
    showError(null);
  } catch (e) {
    showError(e);
  }
}

const refreshSoon = debounce(refreshAll, 400);
const barsSoon = debounce(() => loadBars().catch(showError), 1000);

function onTrade(msg) {
  if (msg.code && msg.code !== code) return;
  const tr = msg.trade || msg;
  if (!tape.some((x) => String(x.trade_id) === String(tr.trade_id))) tape.unshift(tr);
  renderTape();
  barsSoon();
  refreshSoon(); // last, volume, turnover and the book moved too
}

function onDepth(msg) {
  if (msg.code && msg.code !== code) return;
  const levels = [...(msg.bids || []), ...(msg.asks || [])];
  // Listing ids are what a taker clicks: without them, ask REST for the book.
  if (levels.every((l) => Array.isArray(l.orders))) {
    depth = { bids: msg.bids || [], asks: msg.asks || [] };
    renderBook();
  } else {
    loadDepth().catch(showError);
  }
}

function onStats(msg) {
  if (msg.code && msg.code !== code) return;
  if (!msg.stats) return;
  inst = { ...inst, ...msg.stats };
  renderHead();
}

function setupForms() {
  const box = $('#trade-forms');
  if (!currentUser()) {
    box.replaceChildren(h('p', { class: 'hint' },
      h('a', { href: `login.html?next=${encodeURIComponent(`instrument.html?code=${code}`)}`, 'data-i18n': 'login_to_trade' }, t('login_to_trade'))));
    return;
  }
  take = takeForm({ code, onDone: refreshSoon });
  box.replaceChildren(take, postForm({ code, onDone: refreshSoon }));
}

initLayout('market');
try {
  candles = new CandleChart($('#candles'));
  depthChart = new DepthChart($('#depth'));
} catch (e) {
  showError(e);
}
setupForms();
renderBook();
renderTape();
feed.on('depth', onDepth).on('trades', onTrade).on('stats', onStats);
for (const ch of ['depth', 'trades', 'stats']) feed.subscribe(ch, code);
feed.start();
onLangChange(() => {
  renderHead();
  renderBook();
  renderTape();
});
refreshAll();
poll(feed, refreshAll);
