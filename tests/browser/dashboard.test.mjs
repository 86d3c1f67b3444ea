// dashboard.test.mjs -- the dashboard in a real browser (Debian's Chromium,
// driven by playwright-core) against a real cetsd.
//
// It starts cetsd on 127.0.0.1:<free port> with a fresh data directory
// (sessions not enforced, so it runs at any hour), sets up two participants
// through the admin API (bootstrap admin password from CETSD_ADMIN_PASSWORD),
// then, as a person would: A logs in and posts a sell listing with the form;
// B logs in in a second browser context, clicks A's listing in the book and
// takes it. Checks: the trade is in the tape, both accounts moved by
// value -/+ fee (0.05%), holdings moved (B's locked T+1), no console errors.
// Screenshots go to tests/browser/out/.
//
// Usage: node dashboard.test.mjs [path/to/cetsd]   (or CETSD=...)
// Prints "ok"/"not ok" per check and "N passed, N failed"; exits 1 on failure.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const outDir = path.join(here, 'out');
const cetsd = path.resolve(process.argv[2] || process.env.CETSD || path.join(repo, 'build-release/cetsd'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const CODE = 'CEA25';
const QTY = 100;
const FEE_PPM = 500n;

let passed = 0;
let failed = 0;
function check(name, cond, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`);
  }
  return cond;
}

// ---- money, exactly as the rules say (integer fen, fee rounded half-up) ----
function fen(s) {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(s).trim());
  if (!m) throw new Error(`not a decimal money string: ${s}`);
  return BigInt(m[1]) * 100n + BigInt((m[2] || '0').padEnd(2, '0'));
}
function money(f) {
  return `${f / 100n}.${String(f % 100n).padStart(2, '0')}`;
}
function fee(valueFen) {
  return (valueFen * FEE_PPM + 500000n) / 1000000n;
}

// ---- cetsd ----------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startCetsd(port, dataDir, adminPassword) {
  const log = fs.openSync(path.join(outDir, 'cetsd.log'), 'w');
  // Orders are accepted at any hour (a fresh data dir takes this setting);
  // the pages are this checkout's web/.
  const conf = path.join(dataDir, 'cetsd.conf');
  fs.writeFileSync(conf, `enforce_sessions = false\nweb_root = ${path.join(repo, 'web')}\n`);
  const args = ['--config', conf, '--listen', `127.0.0.1:${port}`, '--data', path.join(dataDir, 'data')];
  const child = spawn(cetsd, args, {
    env: { ...process.env, CETSD_ADMIN_PASSWORD: adminPassword },
    stdio: ['ignore', log, log],
  });
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = `exit ${code ?? sig}`;
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`cetsd ${exited}; see ${path.join(outDir, 'cetsd.log')}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return { child, base };
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('cetsd did not answer /healthz within 10 s');
}

async function stopCetsd(child) {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

// ---- the admin API: what the browser part needs --------------------------
async function call(base, method, p, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { status: r.status, data };
}

async function must(base, method, p, body, token, ok = [200, 201]) {
  const r = await call(base, method, p, body, token);
  if (!ok.includes(r.status)) throw new Error(`${method} ${p} -> ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

async function setup(base, adminPassword) {
  const { token } = await must(base, 'POST', '/api/v1/login', { username: 'admin', password: adminPassword });
  // The instrument: created unless the fresh market already lists it.
  const have = await call(base, 'GET', `/api/v1/instruments/${CODE}`);
  if (have.status !== 200) {
    await must(base, 'POST', '/api/v1/admin/instruments',
      { code: CODE, product: 'CEA', matching: 'listing', prev_close: '58.00' }, token);
  }
  const inst = await must(base, 'GET', `/api/v1/instruments/${CODE}`);
  const users = {};
  for (const [name, deposit, credit] of [['alice', '100000.00', 1000], ['bob', '1000000.00', 0]]) {
    const p = await must(base, 'POST', '/api/v1/admin/participants', { kind: 'entity', name: `${name} co.` }, token);
    const pid = p.participant ?? p.id;
    await must(base, 'POST', '/api/v1/admin/deposits', { participant: pid, amount: deposit }, token);
    if (credit) await must(base, 'POST', '/api/v1/admin/credits', { participant: pid, code: CODE, qty: credit }, token);
    const password = crypto.randomBytes(12).toString('hex');
    await must(base, 'POST', '/api/v1/admin/users', { username: name, password, participant: pid, roles: ['trade', 'funds'] }, token);
    users[name] = { pid, password };
  }
  return { inst, users };
}

// ---- the browser --------------------------------------------------------------
const errors = [];
function watch(page, who) {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${who} console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${who} pageerror: ${e.message}`));
}

async function login(browser, base, name, password) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  await ctx.addInitScript(() => {
    if (!localStorage.getItem('cets.lang')) localStorage.setItem('cets.lang', 'en');
  });
  const page = await ctx.newPage();
  watch(page, name);
  await page.goto(`${base}/login.html`);
  await page.fill('#username', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/account\.html/), page.click('#login-submit')]);
  return { ctx, page };
}

// The funds shown on the account page, once loaded.
async function shownFunds(page) {
  await page.waitForFunction(() => /^\d+\.\d\d$/.test(document.querySelector('#funds-available').textContent));
  return fen(await page.textContent('#funds-available'));
}

// Reload the account page until available funds show `want` (the trade may
// still be on its way to the page) or 5 s pass; returns what is shown.
async function fundsAfter(page, want) {
  let got = null;
  for (let i = 0; i < 10; i++) {
    await page.goto(page.url());
    got = await shownFunds(page);
    if (got === want) break;
    await page.waitForTimeout(500);
  }
  return got;
}

async function holding(page, code, field) {
  const sel = `#holdings-rows tr[data-code="${code}"] td[data-f="${field}"]`;
  await page.waitForSelector(sel);
  return Number((await page.textContent(sel)).replace(/,/g, ''));
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  check('cetsd binary exists', fs.existsSync(cetsd), cetsd);
  if (!fs.existsSync(cetsd)) return;
  check('chart library vendored (scripts/web-deps.sh)',
    fs.existsSync(path.join(repo, 'web/vendor/lightweight-charts.standalone.production.js')));

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cets-browser-'));
  const adminPassword = crypto.randomBytes(16).toString('hex');
  let server = null;
  let browser = null;
  try {
    server = await startCetsd(await freePort(), dataDir, adminPassword);
    const { base } = server;
    const { inst, users } = await setup(base, adminPassword);
    const price = inst.prev_close; // always inside the day's band
    const value = fen(price) * BigInt(QTY);
    const theFee = fee(value);

    // playwright gives every launch a fresh temporary --user-data-dir of its
    // own (and removes it at close); each context below is a separate profile.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });

    // A: post a sell listing with the form on the account page.
    const a = await login(browser, base, 'alice', users.alice.password);
    const aBefore = await shownFunds(a.page);
    check('A sees its holding before trading', await holding(a.page, CODE, 'available') === 1000);
    await a.page.selectOption('#post-form select[name=code]', CODE);
    await a.page.selectOption('#post-form select[name=side]', 'sell');
    await a.page.fill('#post-form input[name=price]', price);
    await a.page.fill('#post-form input[name=qty]', String(QTY));
    await a.page.click('#post-form button[type=submit]');
    await a.page.waitForSelector('#post-msg.ok, #post-msg.error');
    const postMsg = await a.page.textContent('#post-msg');
    if (!check('A posts a sell listing through the form', await a.page.$('#post-msg.ok') !== null, postMsg)) return;
    const orderId = await a.page.getAttribute('#post-msg', 'data-order-id');
    await a.page.waitForSelector(`#orders-rows tr[data-order-id="${orderId}"]`, { timeout: 5000 }).catch(() => {});
    check('A\'s open orders list the listing', await a.page.$(`#orders-rows tr[data-order-id="${orderId}"]`) !== null,
      `order ${orderId}`);

    // B: take it from the instrument page by clicking the listing in the book.
    const b = await login(browser, base, 'bob', users.bob.password);
    const bBefore = await shownFunds(b.page);
    await b.page.goto(`${base}/instrument.html?code=${CODE}`);
    const chip = `#book-asks button.chip[data-order-id="${orderId}"]`;
    await b.page.waitForSelector(chip, { timeout: 5000 }).catch(() => {});
    if (!check('B sees A\'s listing among the best five asks', await b.page.$(chip) !== null)) return;
    await b.page.click(chip);
    check('clicking the listing fills the take form',
      (await b.page.inputValue('#take-form input[name=targets]')) === `${orderId}:${QTY}` &&
      (await b.page.inputValue('#take-form select[name=side]')) === 'buy');
    await b.page.click('#take-form button[type=submit]');
    await b.page.waitForSelector('#take-msg.ok, #take-msg.error');
    check('B takes the listing', await b.page.$('#take-msg.ok') !== null, await b.page.textContent('#take-msg'));

    // The tape shows the trade (live, or after the page's refresh).
    const tapeRow = '#tape-rows tr[data-trade-id]';
    await b.page.waitForSelector(tapeRow, { timeout: 6000 }).catch(() => {});
    const cells = await b.page.$$eval(`${tapeRow}:first-child td`, (tds) => tds.map((td) => td.textContent));
    check('the trade appears in the tape', cells.length === 4 && cells[1] === price && cells[2] === String(QTY),
      JSON.stringify(cells));
    await b.page.waitForFunction((id) => !document.querySelector(`#book-asks button.chip[data-order-id="${id}"]`),
      orderId, { timeout: 5000 }).catch(() => {});
    check('the listing left the book', await b.page.$(chip) === null);
    await b.page.waitForTimeout(500); // let the charts draw the new bar
    await b.page.screenshot({ path: path.join(outDir, 'instrument-after-take.png') });

    // Accounts: B paid value + fee, A received value - fee.
    await b.page.goto(`${base}/account.html`);
    const bWant = bBefore - value - theFee;
    const bAfter = await fundsAfter(b.page, bWant);
    check(`B's funds went down by price*qty+fee (${money(value)} + ${money(theFee)})`, bAfter === bWant,
      `shown ${money(bAfter)}, expected ${money(bWant)}`);
    check('B\'s bought tonnes are locked (T+1)', await holding(b.page, CODE, 'locked') === QTY);
    await b.page.screenshot({ path: path.join(outDir, 'account-buyer.png') });

    const aWant = aBefore + value - theFee;
    const aAfter = await fundsAfter(a.page, aWant);
    check(`A's funds went up by price*qty-fee (${money(value)} - ${money(theFee)})`, aAfter === aWant,
      `shown ${money(aAfter)}, expected ${money(aWant)}`);
    check('A\'s holding went down by the quantity sold',
      await holding(a.page, CODE, 'available') + await holding(a.page, CODE, 'frozen') === 1000 - QTY);
    check('A has no open orders left', await a.page.$('#orders-rows tr[data-order-id]') === null);
    await a.page.screenshot({ path: path.join(outDir, 'account-seller.png') });

    // The overview shows the day's volume; the language switch works.
    await a.page.goto(`${base}/index.html`);
    const vol = `#market-rows tr[data-code="${CODE}"] td[data-f="volume"]`;
    await a.page.waitForSelector(vol);
    check('the market overview shows the traded volume', (await a.page.textContent(vol)).replace(/,/g, '') === String(QTY));
    await a.page.click('#lang-toggle');
    check('the language toggle switches to Chinese', (await a.page.textContent('nav a.active')) === '行情');
    await a.page.screenshot({ path: path.join(outDir, 'market-zh.png') });
    await a.page.reload();
    check('the language choice is remembered', (await a.page.textContent('nav a.active')) === '行情');

    check('no console errors or page errors', errors.length === 0, errors.join(' | '));
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopCetsd(server && server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main()
  .catch((e) => check('test ran to the end', false, e.stack || String(e)))
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  });
