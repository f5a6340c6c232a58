// End-to-end tests of ragd's defences in headless Chromium: a page on
// another origin cannot write, a page that rebinds its own name to
// 127.0.0.1 cannot either, and the chat page asks for an API key when the
// server wants one and keeps it for the tab only.
//
// cmd/ragd/browser_security_test.go starts two ragd processes on loopback:
// RAGD_URL without keys and RAGD_KEYED_URL with the keys RAGD_READ_KEY and
// RAGD_WRITE_KEY.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = (process.env.RAGD_URL || '').replace(/\/$/, '');
const keyed = (process.env.RAGD_KEYED_URL || '').replace(/\/$/, '');
const readKey = process.env.RAGD_READ_KEY || '';
const writeKey = process.env.RAGD_WRITE_KEY || '';
const artifacts = process.env.RAGD_ARTIFACTS || path.join(here, '..', 'artifacts', 'browser');
const executablePath = process.env.RAGD_CHROMIUM || '/usr/bin/chromium';

if (!base || !keyed) throw new Error('RAGD_URL and RAGD_KEYED_URL are not set: run these tests through "go test ./cmd/ragd -run BrowserSecurity"');

const planted = 'Planted by another origin';
const ragdPort = new URL(base).port;

let browser;
let attacker;
let attackerOrigin;

/**
 * The attacker's page tries every way a page can send a write to another
 * origin: fetch without CORS (text/plain, the default of a string body),
 * fetch with a JSON Content-Type (which needs a preflight), a form post, a
 * beacon; then reports what it could read.
 */
const attackScript = (target, title) => `
const doc = JSON.stringify({ id: 'planted', title: ${JSON.stringify(title)}, text: 'A document planted by a page on another origin.' });
const results = {};
async function attempt(name, fn) {
  try { const r = await fn(); results[name] = r === undefined ? 'sent' : r; }
  catch (e) { results[name] = 'error: ' + e.name; }
}
(async () => {
  await attempt('no-cors text/plain', () => fetch('${target}/api/documents', { method: 'POST', mode: 'no-cors', body: doc }).then(() => 'sent'));
  await attempt('no-cors no type', () => fetch('${target}/api/documents', { method: 'POST', mode: 'no-cors', body: new Blob([doc]) }).then(() => 'sent'));
  await attempt('cors json', () => fetch('${target}/api/documents', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: doc }).then((r) => 'status ' + r.status));
  await attempt('beacon', () => navigator.sendBeacon('${target}/api/documents', new Blob([doc], { type: 'text/plain' })) ? 'queued' : 'refused');
  await attempt('read', () => fetch('${target}/api/documents').then((r) => 'status ' + r.status));
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = '${target}/api/documents';
  form.enctype = 'text/plain';
  form.target = 'sink';
  const input = document.createElement('input');
  input.name = doc.slice(0, -1) + ', "x":"';
  input.value = '"}';
  form.append(input);
  document.body.append(form);
  form.submit();
  results.form = 'submitted';
  await new Promise((r) => setTimeout(r, 500));
  window.results = results;
})();`;

before(async () => {
  browser = await chromium.launch({
    executablePath,
    // attacker.test resolves to 127.0.0.1, as a rebound DNS name would.
    // Chromium's own guard against public pages calling loopback (Private
    // Network Access) is turned off, as other browsers have none: the
    // tests are of ragd's guards.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--host-resolver-rules=MAP attacker.test 127.0.0.1',
      '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks'],
  });
  attacker = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>attacker</title><iframe name="sink"></iframe><script>${attackScript(base, planted)}</script>`);
  });
  await new Promise((r) => attacker.listen(0, '127.0.0.1', r));
  attackerOrigin = `http://127.0.0.1:${attacker.address().port}`;
});

after(async () => {
  await browser?.close();
  attacker?.close();
});

/** documents lists the titles of the documents in the keyless ragd. */
async function titles() {
  const res = await fetch(`${base}/api/documents?limit=1000`);
  const body = await res.json();
  return body.documents.map((d) => d.title);
}

describe('browser guards', () => {
  test('a page on another loopback origin cannot write or read', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${attackerOrigin}/`);
    const results = await page.waitForFunction(() => window.results).then((h) => h.jsonValue());
    await context.close();
    assert.ok(!(await titles()).includes(planted), `a document was planted: ${JSON.stringify(results)}`);
    assert.match(results['cors json'], /^error: TypeError$/, 'the JSON post was blocked by its preflight');
    assert.match(results.read, /^error: TypeError$/, 'the page read the document list');
  });

  test('a page that rebinds its name to 127.0.0.1 cannot write', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const origin = `http://attacker.test:${ragdPort}`;
    // The attacker's own server serves the page; then the name points at
    // ragd, so the page's same-origin requests reach ragd with no CORS in
    // the way: only the Host header tells them apart.
    await page.route(`${origin}/`, (route) => route.fulfill({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><title>rebound</title><iframe name="sink"></iframe><script>${attackScript(origin, planted)}</script>`,
    }));
    await page.goto(`${origin}/`);
    const results = await page.waitForFunction(() => window.results).then((h) => h.jsonValue());
    await context.close();
    assert.ok(!(await titles()).includes(planted), `a document was planted: ${JSON.stringify(results)}`);
    assert.equal(results['cors json'], 'status 421', 'the rebound request was refused as misdirected');
    assert.equal(results.read, 'status 421', 'the rebound read was refused as misdirected');
  });
});

describe('API keys in the chat page', () => {
  test('asks for a key on 401, keeps it for the tab, and says when a key may only read', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${keyed}/`);
    const dialog = page.locator('#key-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.match(await dialog.locator('.key-reason').innerText(), /needs an API key/);
    await page.screenshot({ path: path.join(artifacts, 'api-key-dialog.png') });

    await page.locator('#key-input').fill('wrong-key-0123456789abcdef');
    await page.locator('#key-input').press('Enter');
    await page.waitForFunction(() => /not valid/.test(document.querySelector('#key-dialog .key-reason')?.textContent || ''));
    await page.locator('#key-input').fill(readKey);
    await page.locator('#key-input').press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.getElementById('doc-count').textContent !== '');
    assert.ok(Number(await page.locator('#doc-count').textContent()) > 0, 'the document count loaded with the key');

    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('ragd.apiKey'), local: localStorage.length, cookie: document.cookie }));
    assert.deepEqual(stored, { session: readKey, local: 0, cookie: '' }, 'the key is kept in sessionStorage only');

    await page.locator('#question').fill('What did Macron say European troops would not do?');
    await page.locator('#question').press('Enter');
    await page.waitForFunction(() => ['done', 'abstained'].includes(document.querySelector('.turn-answer')?.dataset.state));

    // A read key may not add documents: the page says so.
    await page.goto(`${keyed}/#documents`);
    await page.waitForSelector('body.ready');
    assert.equal(await dialog.isVisible(), false, 'a reload in the same tab keeps the key');
    await page.locator('#doc-title').fill('Written with a read key');
    await page.locator('#doc-text').fill('This article must not be stored, since the key may only read.');
    await page.locator('#doc-submit').click();
    await page.locator('#doc-status.is-error').waitFor();
    assert.match(await page.locator('#doc-status').innerText(), /may only read/);

    // Another tab starts without the key.
    const other = await context.newPage();
    await other.goto(`${keyed}/`);
    await other.locator('#key-dialog').waitFor({ state: 'visible' });
    await other.locator('.key-cancel').click();
    await other.locator('#key-dialog').waitFor({ state: 'hidden' });

    const res = await fetch(`${keyed}/api/documents?limit=1000`, { headers: { Authorization: `Bearer ${writeKey}` } });
    const titlesKeyed = (await res.json()).documents.map((d) => d.title);
    assert.ok(!titlesKeyed.includes('Written with a read key'));
    await context.close();
  });
});
