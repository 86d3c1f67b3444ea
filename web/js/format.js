// format.js -- small DOM and display helpers shared by the pages.
//
// Prices are shown exactly as the API gives them (decimal strings); money
// and quantities with their thousands grouped (25,576,672.54); change
// percentages get a sign and a colour. Times are shown in the market's local
// time, Beijing time (UTC+8, Asia/Shanghai has no daylight saving).

export const TZ_OFFSET_S = 8 * 3600;

// h('td', {class: 'num'}, '51.00') -> element. Attributes starting with "on"
// are event handlers; null/undefined/false children are skipped.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function $(sel, root = document) {
  return root.querySelector(sel);
}

export function show(v) {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

export function num(v) {
  const n = typeof v === 'number' ? v : parseFloat(v);
  return Number.isFinite(n) ? n : null;
}

// Quantities are integers (tonnes): group thousands for reading.
export function qty(v) {
  const n = num(v);
  return n === null ? show(v) : n.toLocaleString('en-US');
}

// A money string as it reads: "25576672.54" -> "25,576,672.54". Only the
// integer part's digits move: no float ever touches an amount.
export function money(v) {
  if (v === null || v === undefined || v === '') return '—';
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(String(v));
  if (!m) return show(v);
  return `${m[1]}${m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${m[3] || ''}`;
}

// "2026-12-02 15:37:21" in Beijing time.
export function datetime(t) {
  const s = toUnixSeconds(t);
  if (s === null) return show(t);
  return new Date((s + TZ_OFFSET_S) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

// A Beijing time typed in an <input type="datetime-local"> ("2026-12-02T13:00")
// as the API's UTC ISO string.
export function beijingToIso(local) {
  const ms = Date.parse(/T\d\d:\d\d$/.test(local) ? `${local}:00Z` : `${local}Z`);
  if (!Number.isFinite(ms)) return null;
  return new Date(ms - TZ_OFFSET_S * 1000).toISOString().replace('.000Z', 'Z');
}

// "1.25" / 1.25 -> "+1.25%", with the class for its colour.
export function changePct(v) {
  const n = num(v);
  if (n === null) return { text: '—', cls: '' };
  const s = typeof v === 'string' ? v.replace(/^\+/, '') : n.toFixed(2);
  return { text: (n > 0 ? '+' : '') + s + '%', cls: n > 0 ? 'up' : n < 0 ? 'down' : '' };
}

// Price class against a reference (red up, green down: the market's convention).
export function trendClass(v, ref) {
  const a = num(v);
  const b = num(ref);
  if (a === null || b === null || a === b) return '';
  return a > b ? 'up' : 'down';
}

// Any time the API gives (ISO string, or s/ms/us/ns since the epoch) -> Unix seconds.
export function toUnixSeconds(t) {
  if (t === null || t === undefined) return null;
  if (typeof t === 'string' && !/^\d+$/.test(t)) {
    const ms = Date.parse(t);
    return Number.isFinite(ms) ? ms / 1000 : null;
  }
  const n = Number(t);
  if (!Number.isFinite(n)) return null;
  if (n > 1e17) return n / 1e9;
  if (n > 1e14) return n / 1e6;
  if (n > 1e11) return n / 1e3;
  return n;
}

// "HH:MM:SS" in market time.
export function clock(t) {
  const s = toUnixSeconds(t);
  if (s === null) return show(t);
  return new Date((s + TZ_OFFSET_S) * 1000).toISOString().slice(11, 19);
}

// Cumulative sums: bids from the best (highest) price down, asks from the best up.
export function cumulative(levels) {
  let acc = 0;
  return levels.map((l) => ({ price: num(l.price), qty: (acc += num(l.qty) || 0) }));
}

// Decimal money strings <-> integer fen (BigInt), for sums shown to the user;
// never through floating point.
export function toFen(v) {
  if (v === null || v === undefined || v === '') return null;
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(v).trim());
  if (!m) return null;
  const f = BigInt(m[2]) * 100n + BigInt((m[3] || '').padEnd(2, '0') || '0');
  return m[1] ? -f : f;
}

export function fenToStr(f) {
  const neg = f < 0n;
  const a = neg ? -f : f;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

const MONEY_KEYS = /(^|_)(value|fee|fees|amount|funds_open|funds_close|deposits|withdrawals|available|frozen|unsettled|withdrawable|turnover|penalty)$/;
// Numbers that are counts of tonnes (grouped), not ids, years or counters.
const NOT_QTY = /(^|_)(id|participant|year|seq|entity|counterparty|from|to|owner|initiator|answers|bids|winners|trades|code|user|orders|open_orders)$/;

function cellText(key, v, label) {
  if (key === 'ts') return clock(v);
  if (key === 'method' && typeof v === 'string') return label(`method_${v}`);
  if (typeof v === 'string' && MONEY_KEYS.test(key)) return money(v);
  if (typeof v === 'number' && !NOT_QTY.test(key)) return qty(v);
  if ((key === 'side' || key === 'aggressor') && typeof v === 'string') return label(v);
  const prefix = { kind: 'kind_', status: 'pstatus_', liquidity: 'liq_' }[key];
  if (prefix && typeof v === 'string' && label(prefix + v) !== prefix + v) return label(prefix + v);
  return show(v);
}

// Any JSON answer shown as HTML: arrays of objects as tables (columns = the
// union of keys, labelled through `label`), objects as definition lists,
// scalars as text. Used for statements and fills, whose fields may grow.
// `order` puts known columns first; raw nanosecond fields (*_ns) are left out.
export function jsonView(v, label = (k) => k, order = []) {
  if (Array.isArray(v)) {
    if (!v.length) return null;
    if (v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const keys = new Set(v.flatMap((x) => Object.keys(x)));
      const cols = [...order.filter((k) => keys.has(k)), ...[...keys].filter((k) => !order.includes(k))]
        .filter((k) => !k.endsWith('_ns'));
      // A column is right-aligned when all its values are numbers (ids are not).
      const numeric = new Set(cols.filter((c) => !/(^|_)id$/.test(c) &&
        v.every((x) => x[c] === undefined || x[c] === null || typeof x[c] === 'number' || /^-?\d+(\.\d+)?$/.test(x[c]))));
      return h('table', { class: 'grid compact' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: numeric.has(c) ? 'num' : null }, label(c))))),
        h('tbody', {}, v.map((x) => h('tr', {}, cols.map((c) => {
          const cell = x[c];
          return h('td', { class: numeric.has(c) ? 'num' : null },
            cell && typeof cell === 'object' ? jsonView(cell, label) : cellText(c, cell, label));
        })))));
    }
    return h('span', {}, v.map(show).join(', '));
  }
  if (v && typeof v === 'object') {
    const scalars = Object.entries(v).filter(([k, x]) => (x === null || typeof x !== 'object') && !k.endsWith('_ns'));
    const nested = Object.entries(v).filter(([, x]) => x !== null && typeof x === 'object');
    return h('div', { class: 'json' },
      scalars.length ? h('dl', { class: 'kv' }, scalars.flatMap(([k, x]) => [h('dt', {}, label(k)), h('dd', {}, cellText(k, x, label))])) : null,
      nested.map(([k, x]) => h('div', { class: 'nested' }, h('h4', {}, label(k)), jsonView(x, label, order) || h('p', { class: 'muted' }, '—'))));
  }
  return document.createTextNode(show(v));
}
