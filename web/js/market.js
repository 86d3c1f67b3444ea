// market.js -- the market overview (index.html): every instrument with its
// day's statistics (volumes by method: listing, block, auction; change
// against the previous close), the trading date, the session and the
// composite price.
// Live over the WebSocket (stats and trades of every instrument); a REST
// refresh every 5 s (every 30 s while the feed is up) is the fallback.

import { get } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, changePct, fenToStr, h, money, qty, show, toFen, trendClass } from './format.js';
import { feed, initLayout } from './layout.js';
import { debounce, poll } from './ws.js';

let market = null;

function sessionBadge(el, session) {
  el.textContent = t(`session_${session}`) || show(session);
  el.className = `badge ${session || ''}`;
  el.dataset.state = session || '';
}

function render() {
  if (!market) return;
  $('#trading-date').textContent = show(market.date);
  sessionBadge($('#session'), market.session);
  $('#composite').textContent = show(market.composite);
  let total = 0n;
  const rows = (market.instruments || []).map((i) => {
    const ch = changePct(i.change_pct);
    // every method's turnover: the screen's listings, blocks and auctions
    let turnover = 0n;
    for (const k of ['turnover', 'block_turnover', 'auction_turnover']) turnover += toFen(i[k]) || 0n;
    total += turnover;
    return h('tr', { dataset: { code: i.code } },
      h('td', {}, h('a', { class: 'code', href: `instrument.html?code=${encodeURIComponent(i.code)}` }, i.code),
        h('span', { class: 'muted small' }, ` ${show(i.product)}`)),
      h('td', {}, t(`matching_${i.matching}`)),
      h('td', {}, h('span', { class: `badge ${i.status}` }, t(`status_${i.status}`))),
      h('td', { class: `num strong ${trendClass(i.last, i.prev_close)}`, dataset: { f: 'last' } }, show(i.last)),
      h('td', { class: `num ${ch.cls}`, dataset: { f: 'change' } }, ch.text),
      h('td', { class: 'num' }, show(i.prev_close)),
      h('td', { class: `num ${trendClass(i.open, i.prev_close)}` }, show(i.open)),
      h('td', { class: `num ${trendClass(i.high, i.prev_close)}` }, show(i.high)),
      h('td', { class: `num ${trendClass(i.low, i.prev_close)}` }, show(i.low)),
      h('td', { class: 'num', dataset: { f: 'volume' } }, qty(i.volume)),
      h('td', { class: 'num', dataset: { f: 'block_volume' } }, qty(i.block_volume)),
      h('td', { class: 'num', dataset: { f: 'auction_volume' } }, qty(i.auction_volume)),
      h('td', { class: 'num', dataset: { f: 'turnover' } }, money(fenToStr(turnover))),
      h('td', { class: 'num' }, qty(i.trades)));
  });
  $('#total-turnover').textContent = money(fenToStr(total));
  const body = $('#market-rows');
  if (rows.length) body.replaceChildren(...rows);
  else body.replaceChildren(h('tr', {}, h('td', { colspan: 14, class: 'empty' }, t('no_data'))));
}

async function refresh() {
  try {
    market = await get('/api/v1/market');
    $('#market-error').hidden = true;
    render();
    subscribeAll();
  } catch (e) {
    const el = $('#market-error');
    el.hidden = false;
    el.textContent = `${t('error')}: ${e.display || e.message}`;
  }
}

function subscribeAll() {
  for (const i of market.instruments || []) {
    feed.subscribe('stats', i.code);
    feed.subscribe('trades', i.code);
  }
}

// {"channel":"stats","code","stats":{instrument…}}: merge into what we show
// (and the market's fields, should a message carry them).
function onStats(msg) {
  if (!market) return;
  const inst = (market.instruments || []).find((i) => i.code === msg.code);
  if (inst && msg.stats) Object.assign(inst, msg.stats);
  for (const k of ['composite', 'session', 'date']) if (msg[k] !== undefined) market[k] = msg[k];
  render();
}

initLayout('market');
const refreshSoon = debounce(refresh, 500);
feed.on('stats', onStats).on('trades', refreshSoon);
feed.start();
onLangChange(render);
refresh();
poll(feed, refresh);
