// lib.mjs -- what the browser tests share: checks that print "ok"/"not ok",
// money in integer fen, a real cetsd on a free local port with a fresh data
// directory, the API as the set-up uses it, and Chromium through
// playwright-core with one context (one profile, one login) per user.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const outDir = path.join(here, 'out');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

export const results = { passed: 0, failed: 0 };
export function check(name, cond, detail = '') {
  if (cond) {
    results.passed++;
    console.log(`ok - ${name}`);
  } else {
    results.failed++;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`);
  }
  return cond;
}

// ---- money, exactly as the rules say (integer fen, fee rounded half-up) ----
export function fen(s) {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(String(s).trim().replace(/,/g, ''));
  if (!m) throw new Error(`not a decimal money string: ${s}`);
  return BigInt(m[1]) * 100n + BigInt((m[2] || '0').padEnd(2, '0'));
}
export function money(f) {
  return `${f / 100n}.${String(f % 100n).padStart(2, '0')}`;
}
export function fee(valueFen, ppm = 500n) {
  return (valueFen * ppm + 500000n) / 1000000n;
}

// ---- cetsd ----------------------------------------------------------------
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// CETS_BROWSER_TLS=1: the same tests over https and wss, on the certificate
// cetsd --tls-self-signed makes (run.sh runs the dashboard test so too). The
// browser and this process's fetch accept it unverified: what is under test
// is cetsd's TLS, not the certificate's chain (test_frontend verifies that).
export const tls = process.env.CETS_BROWSER_TLS === '1';
if (tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

export async function startCetsd(cetsd, port, dataDir, adminPassword, logName = 'cetsd.log') {
  const log = fs.openSync(path.join(outDir, logName), 'w');
  // Orders are accepted at any hour (a fresh data dir takes this setting);
  // the pages are this checkout's web/.
  const conf = path.join(dataDir, 'cetsd.conf');
  fs.writeFileSync(conf, `enforce_sessions = false\nweb_root = ${path.join(repo, 'web')}\n`);
  const args = ['--config', conf, '--listen', `127.0.0.1:${port}`, '--data', path.join(dataDir, 'data')];
  if (tls) args.push('--tls-self-signed');
  const child = spawn(cetsd, args, {
    env: { ...process.env, CETSD_ADMIN_PASSWORD: adminPassword },
    stdio: ['ignore', log, log],
  });
  let exited = null;
  child.on('exit', (code, sig) => {
    exited = `exit ${code ?? sig}`;
  });
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(`cetsd ${exited}; see ${path.join(outDir, logName)}`);
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

export async function stopCetsd(child) {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

// ---- the API: what the set-up needs --------------------------------------
export async function call(base, method, p, body, token) {
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

export async function must(base, method, p, body, token, ok = [200, 201]) {
  const r = await call(base, method, p, body, token);
  if (!ok.includes(r.status)) throw new Error(`${method} ${p} -> ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

// ---- the browser --------------------------------------------------------------
export const errors = [];
// Console errors fail the tests, except the browser's own line for a
// refusal the test asked for on purpose (a 4xx answer the page then shows).
export function watch(page, who, expected = /status of (403|422)\b/) {
  page.on('console', (m) => {
    if (m.type() === 'error' && !(expected && expected.test(m.text()))) errors.push(`${who} console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${who} pageerror: ${e.message}`));
  page.on('dialog', (d) => d.accept()); // confirmations: yes
}

export function launch() {
  // playwright gives every launch a fresh temporary --user-data-dir of its
  // own (and removes it at close); each context below is a separate profile.
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export async function login(browser, base, name, password, lang = 'en') {
  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 800 }, locale: lang === 'zh' ? 'zh-CN' : 'en-US', ignoreHTTPSErrors: tls,
  });
  await ctx.addInitScript((l) => {
    if (!localStorage.getItem('cets.lang')) localStorage.setItem('cets.lang', l);
  }, lang);
  const page = await ctx.newPage();
  watch(page, name);
  await page.goto(`${base}/login.html`);
  await page.fill('#username', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(/(account|operator)\.html/), page.click("#login-submit")]);
  return { ctx, page };
}

export function summary() {
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exitCode = results.failed ? 1 : 0;
}
