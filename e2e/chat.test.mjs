// End-to-end tests of ragd's chat page in headless Chromium.
//
// They run against a real ragd holding the seed articles, started by
// cmd/ragd/browser_test.go, which passes its address in RAGD_URL and a
// folder for screenshots in RAGD_ARTIFACTS. To run them by hand:
//
//	ragd serve --data ./ragd-data --addr 127.0.0.1:8080 &
//	RAGD_URL=http://127.0.0.1:8080 node --test e2e/chat.test.mjs

import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = (process.env.RAGD_URL || '').replace(/\/$/, '');
const artifacts = process.env.RAGD_ARTIFACTS || path.join(here, '..', 'artifacts', 'browser');
const executablePath = process.env.RAGD_CHROMIUM || '/usr/bin/chromium';

if (!base) throw new Error('RAGD_URL is not set: run these tests through "go test ./cmd/ragd -run Browser"');

const macron = 'What did Macron say European troops would not do?';
const australia = 'What is the capital of Australia?';
const kiwi = {
  title: 'Otago kiwifruit harvest sets a record',
  source: 'https://example.org/news/otago-kiwifruit-harvest',
  published: '2024-04-18',
  text: [
    'Otago kiwifruit harvest sets a record',
    'Orchards across Central Otago finished their kiwifruit harvest this week with a record haul.',
    'Growers in the Teviot Valley picked 48,317 trays of kiwifruit, the largest harvest the region has recorded, according to the Otago Fruitgrowers Association.',
    'A warm autumn and a late frost that never came let the fruit ripen slowly on the vine, said association chair Mere Tautahi.',
    'Packhouses in Roxburgh hired 140 seasonal workers to keep up with the crop.',
  ].join('\n'),
};
const kiwiQuestion = 'How many trays of kiwifruit did growers in the Teviot Valley pick?';

let browser;

before(async () => {
  await mkdir(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
});

after(async () => {
  await browser?.close();
  // Leave the index as it was, even when a test failed half-way.
  const list = await api('GET', '/api/documents?limit=1000').catch(() => null);
  for (const d of list?.body?.documents || []) {
    if (d.title === kiwi.title) await api('DELETE', `/api/documents/${encodeURIComponent(d.id)}`);
  }
});

/** api calls ragd directly, as a client of the JSON API. */
async function api(method, p, body) {
  const res = await fetch(base + p, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

/**
 * open loads the page in a new browser context and collects the page's
 * script errors and console errors (a violated Content-Security-Policy
 * shows up there) for check().
 */
async function open(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light', ...options });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // Failed requests are logged too; tests that cause them check the page instead.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  const res = await page.goto(`${base}/`);
  assert.equal(res.status(), 200);
  await page.waitForSelector('body.ready');
  return {
    page,
    check() {
      assert.deepEqual(problems, [], 'the page logged errors');
    },
    close: () => context.close(),
  };
}

/** ask types a question, sends it with Enter and waits for the answer to finish. */
async function ask(page, question) {
  const n = await page.locator('.turn-answer').count();
  await page.locator('#question').fill(question);
  await page.locator('#question').press('Enter');
  const answer = page.locator('.turn-answer').nth(n);
  await answer.waitFor();
  await page.waitForFunction((i) => {
    const el = document.querySelectorAll('.turn-answer')[i];
    return el && ['done', 'abstained', 'error', 'stopped'].includes(el.dataset.state);
  }, n);
  return answer;
}

function shot(page, name, options = {}) {
  return page.screenshot({ path: path.join(artifacts, name), animations: 'disabled', ...options });
}

/**
 * pageShift reports how far the top bar has moved up and how much taller
 * than the window the page has become: both 0 while only the conversation
 * and the panel scroll, as they should.
 */
function pageShift(page) {
  return page.evaluate(() => ({
    top: Math.round(-document.querySelector('.topbar').getBoundingClientRect().top) || 0, // not -0
    extra: document.documentElement.scrollHeight - window.innerHeight,
  }));
}

/** visibleIn reports whether el's box lies within container's box. */
function visibleIn(page, el, container) {
  return page.evaluate(([a, b]) => {
    const r = a.getBoundingClientRect();
    const c = b.getBoundingClientRect();
    return r.top >= c.top - 1 && r.bottom <= c.bottom + 1 && r.height > 0;
  }, [el, container]);
}

describe('chat', () => {
  let s;
  before(async () => { s = await open(); });
  after(async () => { await s?.close(); });

  test('answers a question with citation chips, passages and timing', async () => {
    const { page } = s;
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'question', 'the question box has focus on load');
    const answer = await ask(page, macron);
    assert.equal(await answer.getAttribute('data-state'), 'done');
    const text = (await answer.locator('.answer-text').innerText()).trim();
    assert.ok(text.length > 20, `answer text ${JSON.stringify(text)} is too short`);
    const chips = answer.locator('.answer-text button.cite');
    assert.ok(await chips.count() >= 1, 'the answer has citation chips');
    assert.equal(await chips.first().getAttribute('data-n'), '1');
    assert.match(await answer.locator('.timing').innerText(), /^Answered in \d+(\.\d+)? (ms|s)$/);
    assert.equal(await answer.locator('.answer-sources .source-card').count(), await answer.locator('.answer-text button.cite').evaluateAll((bs) => new Set(bs.map((b) => b.dataset.n)).size));

    const want = (await api('POST', '/api/ask', { question: macron })).body;
    const details = answer.locator('details.passages');
    assert.equal(await details.evaluate((d) => d.open), false, 'passages start collapsed');
    assert.equal(await details.locator('summary').innerText(), `${want.passages.length} passages retrieved`);
    await shot(page, 'chat-answer.png');
    await details.locator('summary').click();
    assert.equal(await details.locator('.passage').count(), want.passages.length);
    assert.equal(await details.locator('.passage .badge-score').first().textContent(), `score ${want.passages[0].score.toFixed(3)}`);
    await details.locator('summary').click();
    s.check();
  });

  test('a chip opens the source panel with the quote marked and in view', async () => {
    const { page } = s;
    const want = (await api('POST', '/api/ask', { question: macron })).body.citations.find((c) => c.n === 1);
    const chip = page.locator('.turn-answer').first().locator('.answer-text button.cite[data-n="1"]').first();
    await chip.click();
    const panel = page.locator('#source-panel');
    await panel.locator('mark.quote').first().waitFor();
    assert.equal(await panel.locator('#panel-title').innerText(), want.title);
    assert.equal(await panel.locator('#panel-kicker').textContent(), 'Citation 1');
    const marked = (await panel.locator('mark.quote').allTextContents()).join('\n');
    assert.equal(marked, want.quote, 'the marked text is the citation quote');
    const doc = (await api('GET', `/api/documents/${want.doc_id}`)).body;
    assert.equal(Array.from(doc.text).slice(want.start, want.end).join(''), want.quote, 'the quote sits at [start,end) of the document');
    assert.ok(await visibleIn(page, await panel.locator('mark.quote').first().elementHandle(), await panel.locator('#panel-body').elementHandle()),
      'the quote is scrolled into view');
    assert.equal(await chip.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'panel-title', 'focus moves into the panel');
    assert.deepEqual(await pageShift(page), { top: 0, extra: 0 }, 'scrolling the quote into view moved the whole page');
    await shot(page, 'citation-panel.png');

    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.n), '1', 'Esc gives focus back to the chip');
    await page.keyboard.press('Enter');
    await panel.locator('mark.quote').first().waitFor();
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    s.check();
  });

  test('a follow-up question carries the earlier turns', async () => {
    const { page } = s;
    const first = (await page.locator('.turn-answer').first().locator('.answer-text').innerText()).trim();
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/ask') && r.method() === 'POST');
    const answer = await ask(page, 'And what did Yvette Cooper say?');
    const body = (await sent).postDataJSON();
    assert.equal(body.question, 'And what did Yvette Cooper say?');
    assert.equal(body.stream, true);
    assert.deepEqual(body.history.map((t) => t.role), ['user', 'assistant']);
    assert.equal(body.history[0].content, macron);
    assert.ok(body.history[1].content.length > 0 && first.length > 0);
    assert.ok(['done', 'abstained'].includes(await answer.getAttribute('data-state')));
    s.check();
  });

  test('abstains visibly when the articles hold no answer', async () => {
    const { page } = s;
    await page.locator('#new-chat').click();
    assert.equal(await page.locator('.turn').count(), 0, 'New chat clears the conversation');
    const answer = await ask(page, australia);
    assert.equal(await answer.getAttribute('data-state'), 'abstained');
    const card = answer.locator('.answer.abstained');
    assert.ok(await card.isVisible());
    assert.match(await card.innerText(), /No answer in the articles/);
    assert.match(await card.innerText(), /could not find/i);
    assert.equal(await card.locator('button.cite').count(), 0);
    assert.equal(await answer.locator('.copy').count(), 0);
    await shot(page, 'abstained.png');

    // The unanswered question is no context for the next one.
    const sent = page.waitForRequest((r) => r.url().endsWith('/api/ask') && r.method() === 'POST');
    const next = await ask(page, macron);
    assert.deepEqual((await sent).postDataJSON().history, []);
    assert.equal(await next.getAttribute('data-state'), 'done');
    s.check();
  });
});

describe('documents', () => {
  let s;
  before(async () => { s = await open(); });
  after(async () => { await s?.close(); });

  test('reads a .md file into the form', async () => {
    const { page } = s;
    await page.locator('a.tab[data-view="documents"]').click();
    await page.locator('#doc-list li.doc').first().waitFor();
    await page.locator('#doc-file').setInputFiles({
      name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from('# Field notes\n\nSome text.\n'),
    });
    await page.waitForFunction(() => document.getElementById('doc-text').value.includes('Some text.'));
    assert.equal(await page.locator('#doc-title').inputValue(), 'Field notes');
    await page.locator('#doc-form button[type="reset"]').click();
    assert.equal(await page.locator('#doc-text').inputValue(), '');
  });

  test('adds an article, finds it by asking, then deletes it', async () => {
    const { page } = s;
    const before = await api('GET', '/api/documents?limit=1000');
    await page.locator('#doc-title').fill(kiwi.title);
    await page.locator('#doc-source').fill(kiwi.source);
    await page.locator('#doc-published').fill(kiwi.published);
    await page.locator('#doc-text').fill(kiwi.text);
    await page.locator('#doc-submit').click();
    await page.locator('#doc-status.is-ok').waitFor();
    assert.match(await page.locator('#doc-status').innerText(), /^Added “Otago kiwifruit harvest sets a record” as \d+ passages?\.$/);
    const row = page.locator('#doc-list li.doc', { has: page.locator('.doc-title', { hasText: kiwi.title }) });
    await row.waitFor();
    assert.match(await row.innerText(), /example\.org/);
    assert.match(await row.innerText(), /2024/);
    assert.equal(await page.locator('#doc-count').innerText(), String(before.body.total + 1));
    assert.equal(await page.locator('#doc-title').inputValue(), '', 'the form is cleared');
    await shot(page, 'documents.png');

    await page.locator('a.tab[data-view="chat"]').click();
    const answer = await ask(page, kiwiQuestion);
    assert.equal(await answer.getAttribute('data-state'), 'done');
    assert.match(await answer.locator('.answer-text').innerText(), /48,317/);
    const titles = await answer.locator('.answer-sources .source-title').allInnerTexts();
    assert.ok(titles.includes(kiwi.title), `the answer cites ${JSON.stringify(kiwi.title)}, got ${JSON.stringify(titles)}`);

    await page.locator('a.tab[data-view="documents"]').click();
    await row.waitFor();
    const del = row.locator('button.delete');
    await del.click();
    assert.match(await del.getAttribute('aria-label'), /^Confirm: delete/);
    await del.click();
    await row.waitFor({ state: 'detached' });
    assert.match(await page.locator('#list-status').innerText(), /Deleted “Otago kiwifruit harvest sets a record”/);
    const titlesLeft = await page.locator('#doc-list .doc-title').allInnerTexts();
    assert.ok(!titlesLeft.includes(kiwi.title), 'the deleted article is gone from the list');
    const afterList = await api('GET', '/api/documents?limit=1000');
    assert.equal(afterList.body.total, before.body.total);
    s.check();
  });

  test('says what is missing when the form is incomplete', async () => {
    const { page } = s;
    await page.locator('#doc-submit').click();
    assert.match(await page.locator('#doc-status.is-error').innerText(), /Please enter a title and the text/);
    assert.equal(await page.locator('#doc-title').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'doc-title');
  });
});

describe('keyboard', () => {
  test('Enter sends and Shift+Enter inserts a newline', async () => {
    const s = await open();
    try {
      const { page } = s;
      const box = page.locator('#question');
      await box.focus();
      await page.keyboard.type('Who met Trump');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('in Washington?');
      assert.equal(await box.inputValue(), 'Who met Trump\nin Washington?');
      assert.equal(await page.locator('.turn').count(), 0, 'Shift+Enter does not send');
      await page.keyboard.press('Enter');
      await page.locator('.turn-user').first().waitFor();
      assert.equal(await page.locator('.turn-user .bubble-text').textContent(), 'Who met Trump\nin Washington?');
      assert.equal(await box.inputValue(), '');
      await page.waitForFunction(() => ['done', 'abstained'].includes(document.querySelector('.turn-answer')?.dataset.state));
      s.check();
    } finally {
      await s.close();
    }
  });
});

describe('errors', () => {
  test('shows server errors, network failures and retries', async () => {
    const s = await open();
    try {
      const { page } = s;
      await page.route('**/api/ask', (route) => route.fulfill({
        status: 400, contentType: 'application/json', body: '{"error":"question is longer than 2000 characters"}',
      }));
      let answer = await ask(page, 'A question the server refuses');
      assert.equal(await answer.getAttribute('data-state'), 'error');
      assert.match(await answer.locator('.error-box').innerText(), /The question was not accepted\s+Question is longer than 2000 characters/);
      assert.equal(await answer.locator('[role="alert"]').count(), 1);
      await answer.locator('.error-box button', { hasText: 'Edit the question' }).click();
      assert.equal(await page.locator('#question').inputValue(), 'A question the server refuses');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'question');

      await page.unroute('**/api/ask');
      await page.route('**/api/ask', (route) => route.abort('connectionrefused'));
      answer = await ask(page, macron);
      assert.match(await answer.locator('.error-box').innerText(), /Cannot reach ragd\s+The server did not respond/);
      await shot(page, 'error.png');

      await page.unroute('**/api/ask');
      await page.route('**/api/ask', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"internal error"}' }));
      answer = await ask(page, macron);
      assert.match(await answer.locator('.error-box').innerText(), /ragd hit an error[\s\S]*\(500\): internal error/);

      await page.unroute('**/api/ask');
      await answer.locator('.error-box button', { hasText: 'Try again' }).click();
      await page.waitForFunction(() => [...document.querySelectorAll('.turn-answer')].at(-1)?.dataset.state === 'done');
      assert.equal(await page.locator('.turn-answer').count(), 3, 'a retry replaces the failed answer');
      s.check();
    } finally {
      await s.close();
    }
  });
});

describe('streaming', () => {
  test('renders an answer streamed as server-sent events', async () => {
    const real = (await api('POST', '/api/ask', { question: macron })).body;
    const pieces = real.answer.match(/.{1,17}/gs);
    const sentences = real.answer.split(/(?<=\]) /).map((t, i) => ({
      text: t.replace(/\s*\[\d+\]$/, ''), citations: [i + 1], supported: i !== 1, score: i === 1 ? 0.2 : 0.9,
    }));
    // The answer span inside quote 2: its first 20 code points after the opening mark.
    const c2 = real.citations[1];
    const citations = real.citations.map((c) => (c === c2 ? { ...c, highlight: [c.start + 1, c.start + 21] } : c));
    const ev = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    const body = [
      ': ping\n\n',
      ev('passages', real.passages),
      ...pieces.map((t) => ev('delta', { text: t })),
      ': ping\r\n\r\n',
      ev('citations', citations),
      ev('sentences', sentences),
      ev('done', { answer: real.answer, abstained: false, timings_ms: { retrieve: 3.2, answer: 812.4, total: 815.6 } }),
    ].join('');

    const s = await open();
    try {
      const { page } = s;
      await page.route('**/api/ask', (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body }));
      const answer = await ask(page, macron);
      assert.equal(await answer.getAttribute('data-state'), 'done');
      const shown = (await answer.locator('.answer-text').evaluate((n) => {
        const c = n.cloneNode(true);
        for (const x of c.querySelectorAll('.visually-hidden')) x.remove();
        for (const b of c.querySelectorAll('button.cite')) b.textContent = `[${b.dataset.n}]`;
        return c.textContent;
      }));
      assert.equal(shown, real.answer);
      assert.equal(await answer.locator('.unsupported').count(), 1);
      assert.ok((await answer.locator('.unsupported').textContent()).startsWith(sentences[1].text));
      assert.match(await answer.locator('.note-unsupported').innerText(), /1 sentence is not supported/);
      assert.equal(await answer.locator('.timing').innerText(), 'Answered in 816 ms');
      await answer.locator('.answer-text button.cite[data-n="2"]').click();
      await page.locator('#source-panel mark.quote').first().waitFor();
      assert.equal((await page.locator('#source-panel mark.quote').allTextContents()).join('\n'), c2.quote);
      assert.equal(await page.locator('#source-panel mark.quote mark.answer-span').textContent(), Array.from(c2.quote).slice(1, 21).join(''));
      await shot(page, 'streamed.png');
      s.check();

      await page.unroute('**/api/ask');
      await page.route('**/api/ask', (route) => route.fulfill({
        status: 200, contentType: 'text/event-stream', body: ev('passages', []) + ev('error', { error: 'the language model timed out' }),
      }));
      await page.keyboard.press('Escape');
      const failed = await ask(page, 'Another question');
      assert.match(await failed.locator('.error-box').innerText(), /The language model timed out/);

      // An error right after some text: the text's pending render must
      // not cover the error.
      await page.unroute('**/api/ask');
      await page.route('**/api/ask', (route) => route.fulfill({
        status: 200, contentType: 'text/event-stream',
        body: ev('passages', real.passages) + ev('delta', { text: 'Half an ans' }) + ev('error', { error: 'the language model failed' }),
      }));
      const cut = await ask(page, 'A third question');
      assert.equal(await cut.getAttribute('data-state'), 'error');
      await page.waitForTimeout(100); // past any animation frame
      assert.match(await cut.locator('.error-box').innerText(), /The language model failed/);
      assert.equal(await cut.locator('[role="alert"]').count(), 1);
    } finally {
      await s.close();
    }
  });

  test('falls back to a plain JSON answer', async () => {
    const real = (await api('POST', '/api/ask', { question: macron })).body;
    const s = await open();
    try {
      const { page } = s;
      await page.route('**/api/ask', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(real) }));
      const answer = await ask(page, macron);
      assert.equal(await answer.getAttribute('data-state'), 'done');
      const chips = await answer.locator('.answer-text button.cite').evaluateAll((bs) => bs.map((b) => Number(b.dataset.n)));
      assert.deepEqual(chips, [...real.answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
      assert.equal(await answer.locator('.answer-sources .source-card').count(), real.citations.length);
      assert.match(await answer.locator('.timing').innerText(), /^Answered in /);

      // A bracketed number no citation has, as a quotation may hold, is
      // text, not a chip.
      await page.unroute('**/api/ask');
      const quoted = { ...real, answer: `Records from [1844] show it [1]`, citations: real.citations.filter((c) => c.n === 1) };
      await page.route('**/api/ask', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(quoted) }));
      const second = await ask(page, 'When do the records start?');
      assert.deepEqual(await second.locator('.answer-text button.cite').evaluateAll((bs) => bs.map((b) => b.dataset.n)), ['1']);
      assert.match(await second.locator('.answer-text').innerText(), /Records from \[1844\] show it/);
      s.check();
    } finally {
      await s.close();
    }
  });

  test('readSSE parses events split anywhere', async () => {
    const src = await readFile(path.join(here, '..', 'web', 'static', 'api.js'), 'utf8');
    const { readSSE } = await import(`data:text/javascript,${encodeURIComponent(src)}`);
    const text = ': ping\r\n\r\nevent: delta\r\ndata: {"text":"a"}\r\n\r\nevent: delta\ndata: {"text":\ndata: "b"}\n\nevent:done\ndata:{}\n\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const bytes = new TextEncoder().encode(text);
      const stream = new ReadableStream({
        start(c) {
          for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
          c.close();
        },
      });
      const got = [];
      for await (const e of readSSE(stream)) got.push(e);
      assert.deepEqual(got, [
        { event: 'delta', data: '{"text":"a"}' },
        { event: 'delta', data: '{"text":\n"b"}' },
        { event: 'done', data: '{}' },
      ], `chunks of ${size} bytes`);
    }
  });
});

describe('phone', () => {
  test('fits a 360px-wide screen without horizontal scrolling', async () => {
    const s = await open({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const { page } = s;
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(await overflow(), 0, 'empty chat overflows');
      const answer = await ask(page, macron);
      await answer.locator('details.passages summary').click();
      assert.equal(await overflow(), 0, 'chat with an answer overflows');
      await answer.locator('details.passages summary').click();
      await answer.scrollIntoViewIfNeeded();
      await page.locator('#conversation').evaluate((c) => { c.scrollTop = 0; });
      await shot(page, 'mobile.png');

      await answer.locator('.answer-text button.cite[data-n="1"]').first().click();
      await page.locator('#source-panel mark.quote').first().waitFor();
      const box = await page.locator('#source-panel').boundingBox();
      assert.equal(Math.round(box.width), 360, 'the panel takes the whole width');
      assert.equal(await overflow(), 0, 'the open panel overflows');
      assert.deepEqual(await pageShift(page), { top: 0, extra: 0 }, 'opening the panel moved the whole page');
      // The panel covers the page: focus cannot leave it for the page behind.
      assert.equal(await page.evaluate(() => document.getElementById('main').inert), true);
      await page.keyboard.press('Shift+Tab');
      assert.ok(await page.evaluate(() => document.getElementById('source-panel').contains(document.activeElement) || document.activeElement === document.body),
        'Shift+Tab from the panel reached the page behind it');
      await shot(page, 'mobile-panel.png');
      await page.keyboard.press('Escape');
      assert.equal(await page.evaluate(() => document.getElementById('main').inert), false);

      await page.locator('a.tab[data-view="documents"]').click();
      await page.locator('#doc-list li.doc').first().waitFor();
      assert.equal(await overflow(), 0, 'the documents view overflows');
      await shot(page, 'mobile-documents.png');
      s.check();
    } finally {
      await s.close();
    }
  });
});
