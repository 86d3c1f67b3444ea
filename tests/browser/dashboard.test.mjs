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

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  check, errors, fee, fen, launch, login, money, must, call, outDir, repo, startCetsd, stopCetsd, freePort, summary,
} from './lib.mjs';

const cetsd = path.resolve(process.argv[2] || process.env.CETSD || path.join(repo, 'build-release/cetsd'));
const CODE = 'CEA25';
const QTY = 100;

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

// The funds shown on the account page, once loaded.
async function shownFunds(page) {
  await page.waitForFunction(() => /^[\d,]+\.\d\d$/.test(document.querySelector('#funds-available').textContent));
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
    server = await startCetsd(cetsd, await freePort(), dataDir, adminPassword);
    const { base } = server;
    const { inst, users } = await setup(base, adminPassword);
    const price = inst.prev_close; // always inside the day's band
    const value = fen(price) * BigInt(QTY);
    const theFee = fee(value);

    browser = await launch();

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
    check('the trade appears in the tape, with its method', cells.length === 5 && cells[1] === price &&
      cells[2] === String(QTY) && cells[4] === 'Listing', JSON.stringify(cells));
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
  .finally(summary);
