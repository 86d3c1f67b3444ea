// tradeforms.js -- the post (挂牌) and take (摘牌) forms, shared by the
// instrument page and the account page.
//
// A post is POST /api/v1/orders; a take is POST /api/v1/takes, either naming
// listings ("id:qty" pairs, filled by clicking listing ids in the book) or by
// quantity and limit price. Each submission carries a fresh client_order_id
// and the button stays disabled until the answer, so a double click cannot
// send the same order twice. Rejections show the API's reason message.

import { post } from './api.js';
import { applyLabels, t } from './i18n.js';
import { h, money, qty } from './format.js';
import { formMessage } from './layout.js';

let seq = 0;
function clientOrderId() {
  seq += 1;
  return `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${seq}`;
}

function option(value, key) {
  return h('option', { value, 'data-i18n': key }, t(key));
}

function field(key, input) {
  return h('label', { class: 'field' }, h('span', { 'data-i18n': key }, t(key)), input);
}

// The instrument: fixed on the instrument page, a choice on the account page.
function codeField(codes, fixed) {
  if (fixed) return h('input', { type: 'hidden', name: 'code', value: fixed });
  return field('code', h('select', { name: 'code', required: true },
    codes.map((c) => h('option', { value: c }, c))));
}

function sideField(name = 'side') {
  return field('side', h('select', { name }, option('buy', 'buy_long'), option('sell', 'sell_long')));
}

// "委托已受理: 委托号 12 · 全部成交 · 成交数量 100 吨 · 金额 7,460.00": the
// status once, then the figures, each with its own label.
function describe(r) {
  const parts = [`${t('order_done')}: ${t('order_id')} ${r.order_id ?? '—'}`];
  if (r.status) {
    const k = `status_${r.status}`;
    parts.push(t(k) !== k ? t(k) : r.status);
  }
  if (r.filled_qty) parts.push(`${t('filled_qty')} ${qty(r.filled_qty)} ${t('tonnes')}`);
  if (r.filled_qty && r.filled_value !== undefined) parts.push(`${t('value')} ${money(r.filled_value)}`);
  if (r.resting_qty) parts.push(`${t('remaining')} ${qty(r.resting_qty)} ${t('tonnes')}`);
  return parts.join(' · ');
}

async function submit(form, button, msgEl, path, body, onDone) {
  button.disabled = true;
  try {
    const r = await post(path, body);
    formMessage(msgEl, describe(r), 'ok');
    if (msgEl) msgEl.dataset.orderId = String(r.order_id ?? '');
    if (onDone) onDone(r);
    return r;
  } catch (e) {
    formMessage(msgEl, `${t('error')}: ${e.display || e.message}`, 'error');
    return null;
  } finally {
    button.disabled = false;
  }
}

// "123:50, 124:10" -> [{order_id: 123, qty: 50}, …]
export function parseTargets(text) {
  const out = [];
  for (const part of text.split(/[,\s;]+/).filter(Boolean)) {
    const m = /^(\w+)(?::(\d+))?$/.exec(part);
    if (!m) throw new Error(`${t('targets')}: "${part}"`);
    const id = /^\d+$/.test(m[1]) && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : m[1];
    out.push({ order_id: id, qty: m[2] ? Number(m[2]) : undefined });
  }
  return out;
}

export function postForm({ codes = [], code = null, onDone } = {}) {
  const msg = h('p', { class: 'msg', id: 'post-msg' });
  const button = h('button', { type: 'submit', class: 'primary', 'data-i18n': 'post' }, t('post'));
  const form = h('form', { id: 'post-form', class: 'trade-form', autocomplete: 'off' },
    h('h3', { 'data-i18n': 'post_title' }, t('post_title')),
    codeField(codes, code),
    h('div', { class: 'row' }, sideField(),
      field('tif', h('select', { name: 'tif' }, option('day', 'tif_day'), option('ioc', 'tif_ioc')))),
    h('div', { class: 'row' },
      field('price', h('input', { name: 'price', inputmode: 'decimal', required: true, placeholder: '0.00', pattern: '\\d+(\\.\\d{1,2})?' })),
      field('qty', h('input', { name: 'qty', type: 'number', min: 1, step: 1, required: true }))),
    h('div', { class: 'actions' }, button),
    msg);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = form.elements;
    submit(form, button, msg, '/api/v1/orders', {
      code: f.code.value,
      side: f.side.value,
      price: f.price.value.trim(),
      qty: Number(f.qty.value),
      tif: f.tif.value,
      client_order_id: clientOrderId(),
    }, onDone);
  });
  return form;
}

export function takeForm({ codes = [], code = null, onDone } = {}) {
  const msg = h('p', { class: 'msg', id: 'take-msg' });
  const button = h('button', { type: 'submit', class: 'primary', 'data-i18n': 'take' }, t('take'));
  const named = h('div', { class: 'mode-named' },
    field('targets', h('input', { name: 'targets', placeholder: '101:50, 102:20' })),
    h('p', { class: 'hint', 'data-i18n': 'targets_hint' }, t('targets_hint')));
  const byQty = h('div', { class: 'row mode-qty', hidden: true },
    field('qty', h('input', { name: 'qty', type: 'number', min: 1, step: 1 })),
    field('limit', h('input', { name: 'limit', inputmode: 'decimal', placeholder: '0.00' })));
  const mode = h('select', { name: 'mode' }, option('named', 'take_named'), option('qty', 'take_by_qty'));
  const form = h('form', { id: 'take-form', class: 'trade-form', autocomplete: 'off' },
    h('h3', { 'data-i18n': 'take_title' }, t('take_title')),
    codeField(codes, code),
    h('div', { class: 'row' }, sideField(), field('take_mode', mode)),
    named, byQty,
    h('div', { class: 'actions' }, button),
    msg);
  const setMode = () => {
    named.hidden = mode.value !== 'named';
    byQty.hidden = mode.value !== 'qty';
  };
  mode.addEventListener('change', setMode);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const body = { code: f.code.value, side: f.side.value, client_order_id: clientOrderId() };
    if (mode.value === 'named') {
      try {
        body.targets = parseTargets(f.targets.value);
      } catch (e) {
        formMessage(msg, `${t('error')}: ${e.message}`, 'error');
        return;
      }
    } else {
      body.qty = Number(f.qty.value);
      body.limit = f.limit.value.trim();
    }
    submit(form, button, msg, '/api/v1/takes', body, (r) => {
      f.targets.value = '';
      if (onDone) onDone(r);
    });
  });
  // Clicking a listing in the book: the take goes against its side, for its
  // whole remaining quantity (editable), added to what is already named.
  form.addTarget = (orderId, qtyLeft, takeSide) => {
    const f = form.elements;
    mode.value = 'named';
    setMode();
    if (f.side.value !== takeSide) f.targets.value = '';
    f.side.value = takeSide;
    const parts = f.targets.value.split(/[,\s;]+/).filter(Boolean)
      .filter((p) => p.split(':')[0] !== String(orderId));
    parts.push(`${orderId}:${qtyLeft}`);
    f.targets.value = parts.join(', ');
    f.targets.focus();
  };
  applyLabels(form);
  return form;
}
