// compliance.js -- compliance (compliance.html, 履约): for an entity's user,
// its obligation, surrendered allowances and CCER, shortfall and status for
// each of the recent compliance years; for the competent authority and the
// operator, every entity of a year with the totals, and the report as CSV
// (the file the authority publishes). Live: refreshed on registry moves.

import { currentUser, get, hasRole, token } from './api.js';
import { onLangChange, t } from './i18n.js';
import { $, h, money, qty } from './format.js';
import { feed, initLayout, requireLogin } from './layout.js';
import { debounce, poll } from './ws.js';

const YEARS = 4; // the entity's view: this many years back from the last one
let lastYear = null;
let own = []; // [{year, record | null}]
let report = null;

function showError(e) {
  const el = $('#comp-error');
  el.hidden = !e;
  if (e) el.textContent = `${t('error')}: ${e.display || e.message}`;
}

const statusBadge = (s) => h('span', { class: `badge c-${s}` }, t(`cstatus_${s}`));

function renderOwn() {
  const u = currentUser() || {};
  $('#comp-own-title').textContent = `${t('compliance_title')} #${u.participant || ''}`;
  const cols = ['year', 'obligation', 'surrendered_cea', 'surrendered_ccer', 'outstanding', 'shortfall', 'penalty', 'status'];
  $('#comp-years').replaceChildren(h('table', { class: 'grid', id: 'own-years' },
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', { class: k === 'status' || k === 'year' ? null : 'num' }, t(k))))),
    h('tbody', {}, own.map(({ year, rec }) => h('tr', { dataset: { year: String(year), status: rec ? rec.status : 'none' } },
      h('td', {}, String(year)),
      ...(rec ? [
        h('td', { class: 'num' }, qty(rec.obligation)), h('td', { class: 'num' }, qty(rec.surrendered_cea)),
        h('td', { class: 'num' }, qty(rec.surrendered_ccer)), h('td', { class: 'num' }, qty(rec.outstanding)),
        h('td', { class: 'num' }, qty(rec.shortfall)), h('td', { class: 'num' }, money(rec.penalty)),
        h('td', {}, statusBadge(rec.status))]
        : [h('td', { colspan: 7, class: 'muted' }, t('no_record'))]))))));
}

function renderAll() {
  if (!report) return;
  const tot = report.totals || {};
  $('#comp-totals').replaceChildren(h('dl', { class: 'kv' },
    h('dt', {}, t('entities')), h('dd', {}, String(tot.entities ?? '—')),
    h('dt', {}, t('obligation')), h('dd', {}, qty(tot.obligation)),
    h('dt', {}, t('outstanding')), h('dd', {}, qty(tot.outstanding)),
    h('dt', {}, t('shortfall')), h('dd', {}, qty(tot.shortfall)),
    h('dt', {}, t('penalty')), h('dd', {}, money(tot.penalty))));
  const cols = ['entity', 'name', 'obligation', 'surrendered_cea', 'surrendered_ccer', 'outstanding', 'shortfall', 'penalty', 'status'];
  $('#comp-report').replaceChildren(h('table', { class: 'grid compact', id: 'all-entities' },
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', { class: ['entity', 'name', 'status'].includes(k) ? null : 'num' }, k === 'entity' ? t('participant') : t(k))))),
    h('tbody', {}, (report.entities || []).map((e) => h('tr', { dataset: { entity: String(e.entity), status: e.status } },
      h('td', {}, `#${e.entity}`), h('td', {}, e.name),
      h('td', { class: 'num' }, qty(e.obligation)), h('td', { class: 'num' }, qty(e.surrendered_cea)),
      h('td', { class: 'num' }, qty(e.surrendered_ccer)), h('td', { class: 'num' }, qty(e.outstanding)),
      h('td', { class: 'num' }, qty(e.shortfall)), h('td', { class: 'num' }, money(e.penalty)),
      h('td', {}, statusBadge(e.status)))))));
}

async function loadOwn() {
  const u = currentUser() || {};
  if (!lastYear || !u.participant || !(hasRole('compliance') || hasRole('authority') || hasRole('admin'))) {
    $('#comp-own').hidden = true;
    return;
  }
  const years = Array.from({ length: YEARS }, (_, i) => lastYear - i);
  own = await Promise.all(years.map((year) =>
    get(`/api/v1/registry/compliance/${u.participant}?year=${year}`)
      .then((rec) => ({ year, rec }))
      .catch((e) => {
        if (e.reason !== 'no_obligation') throw e;
        return { year, rec: null };
      })));
  renderOwn();
}

async function loadAll() {
  if (!(hasRole('authority') || hasRole('admin'))) return;
  $('#comp-all').hidden = false;
  const y = Number($('#comp-year').value) || lastYear;
  report = await get(`/api/v1/registry/compliance?year=${y}`);
  renderAll();
}

async function refresh() {
  try {
    await Promise.all([loadOwn(), loadAll()]);
    showError(null);
  } catch (e) {
    showError(e);
    if (e.status === 401) requireLogin();
  }
}

// The CSV is behind the token: fetched, then handed to the browser as a file.
async function downloadCsv() {
  const y = Number($('#comp-year').value) || lastYear;
  const r = await fetch(`/api/v1/registry/compliance?year=${y}&format=csv`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!r.ok) return showError(new Error(`HTTP ${r.status}`));
  const a = h('a', { href: URL.createObjectURL(await r.blob()), download: `compliance-${y}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  return null;
}

const refreshSoon = debounce(refresh, 500);

initLayout('compliance');
if (requireLogin()) {
  get('/api/v1/market').then((m) => {
    lastYear = Number(String(m.date).slice(0, 4)) - 1;
    $('#comp-year').value = String(lastYear);
    refresh();
  }).catch(showError);
  $('#comp-year').addEventListener('change', () => loadAll().catch(showError));
  $('#comp-csv').addEventListener('click', () => downloadCsv().catch(showError));
  feed.authenticate();
  feed.subscribe('registry');
  feed.on('registry', refreshSoon);
  feed.start();
  onLangChange(() => {
    renderOwn();
    renderAll();
  });
  poll(feed, refresh, 5000, 30000);
}
