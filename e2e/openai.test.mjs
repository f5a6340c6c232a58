// End-to-end test of ragd's OpenAI-compatible endpoint through the official
// openai client. Run by `go test ./cmd/ragd` (TestOpenAIClientEndToEnd),
// which starts ragd over the seed articles and sets RAGD_URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const base = process.env.RAGD_URL;
if (!base) {
  throw new Error('RAGD_URL is not set: run this file through `go test ./cmd/ragd -run OpenAI`');
}
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
const question = 'When is Zelensky set to visit Washington to sign a minerals agreement?';

/** checkCitations checks that each citation quotes its document verbatim. */
async function checkCitations(citations) {
  assert.ok(Array.isArray(citations) && citations.length > 0, 'no citations');
  for (const c of citations) {
    assert.ok(Number.isInteger(c.n) && c.n >= 1, `citation number ${c.n}`);
    const res = await fetch(`${base}/api/documents/${encodeURIComponent(c.doc_id)}`);
    assert.equal(res.status, 200);
    const doc = await res.json();
    // Offsets count code points, not UTF-16 units.
    assert.equal([...doc.text].slice(c.start, c.end).join(''), c.quote);
  }
}

test('lists ragd as the one model', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ['ragd']);
});

test('answers with [n] markers and citations', async () => {
  const res = await client.chat.completions.create({
    model: 'ragd',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: question }],
  });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.choices[0].message.role, 'assistant');
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.match(res.choices[0].message.content, /\[\d+\]/);
  await checkCitations(res.citations);
});

test('streams the answer, with the citations in the last chunk', async () => {
  const stream = await client.chat.completions.create({
    model: 'ragd',
    stream: true,
    messages: [{ role: 'user', content: question }],
  });
  let text = '';
  let chunks = 0;
  let last;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    text += chunk.choices[0]?.delta?.content ?? '';
    chunks++;
    last = chunk;
  }
  assert.ok(chunks > 2, `only ${chunks} chunks`);
  assert.equal(last.choices[0].finish_reason, 'stop');
  assert.match(text, /\[\d+\]/);
  await checkCitations(last.citations);
});

test('answers a follow-up in a conversation', async () => {
  const res = await client.chat.completions.create({
    model: 'ragd',
    messages: [
      { role: 'user', content: 'Who is the president of Ukraine?' },
      { role: 'assistant', content: 'Volodymyr Zelensky [1].' },
      { role: 'user', content: [{ type: 'text', text: question }] },
    ],
  });
  assert.match(res.choices[0].message.content, /\[\d+\]/);
});

test('reports a bad request as an OpenAI error', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'ragd', messages: [{ role: 'assistant', content: 'Hello' }] }),
    (err) => {
      assert.ok(err instanceof OpenAI.APIError, `${err}`);
      assert.equal(err.status, 400);
      assert.equal(err.type, 'invalid_request_error');
      assert.match(err.message, /role user/);
      return true;
    },
  );
});
