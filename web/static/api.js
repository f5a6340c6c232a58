// api.js talks to ragd's JSON API: asking (streamed or not), and reading,
// adding and deleting documents.

/** ApiError is a failed request, with a message fit to show a person. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{status?: number, network?: boolean}} [info]
   */
  constructor(message, info = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = info.status ?? 0;
    this.network = info.network ?? false;
  }
}

// The API key, when the server wants one, is kept in the tab's
// sessionStorage only: it is gone when the tab is closed, and other tabs
// and sites never see it.
const keyStorage = 'ragd.apiKey';

/** storedKey returns the tab's API key, or '' when there is none. */
function storedKey() {
  try {
    return sessionStorage.getItem(keyStorage) || '';
  } catch {
    return '';
  }
}

/** storeKey keeps key for the tab; an empty key forgets it. */
function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(keyStorage, key);
    else sessionStorage.removeItem(keyStorage);
  } catch {
    // Storage refused (a privacy mode): the key lasts as long as the page.
  }
}

/**
 * keyPrompt, set by setKeyPrompt, asks the person for an API key and
 * resolves to it, or to null when they decline.
 */
let keyPrompt = null;

/** setKeyPrompt sets the function that asks for a key on a 401. */
export function setKeyPrompt(fn) {
  keyPrompt = fn;
}

const networkMessage = 'The server did not respond. Check that ragd is running and the network is up, then try again.';

/**
 * request sends one HTTP request and returns the response, turning network
 * failures and error statuses into ApiErrors that carry the server's
 * {"error"} message.
 */
async function request(path, init = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(init.headers || {});
    const key = storedKey();
    if (key) headers.set('Authorization', `Bearer ${key}`);
    let res;
    try {
      res = await fetch(path, { ...init, headers });
    } catch (err) {
      if (err.name === 'AbortError') throw err;
      throw new ApiError(networkMessage, { network: true });
    }
    if (res.status === 401 && keyPrompt && attempt < 3) {
      const err = await errorOf(res);
      if (key) storeKey('');
      const given = await keyPrompt(key ? `${err.message}. Enter another key.` : 'This ragd server needs an API key.');
      if (given) {
        storeKey(given);
        continue;
      }
      throw err;
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }
}

/** errorOf reads the {"error"} body of a failed response. */
async function errorOf(res) {
  let message = '';
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') message = body.error;
  } catch {
    // Not JSON: a proxy's page, say. Fall back to the status text.
  }
  if (!message) message = res.statusText || 'request failed';
  if (res.status >= 500) {
    return new ApiError(`ragd could not finish the request (${res.status}): ${message}`, { status: res.status });
  }
  return new ApiError(capitalise(message), { status: res.status });
}

function capitalise(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

async function json(res) {
  try {
    return await res.json();
  } catch {
    throw new ApiError('ragd sent a response that is not valid JSON.', { status: res.status });
  }
}

/**
 * ask asks a question. It requests a stream of server-sent events and reads
 * it as it arrives; a server that answers with plain JSON instead is read
 * as one final answer. Either way the handlers see the same calls:
 * onPassages(hits), onDelta(text), onCitations(citations),
 * onSentences(sentences), then onDone({answer, abstained, timings_ms,
 * warning}).
 */
export async function ask({ question, history, signal }, handlers) {
  const res = await request('/api/ask', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream, application/json' },
    body: JSON.stringify({ question, history, stream: true }),
    signal,
  });
  const type = res.headers.get('Content-Type') || '';
  if (type.startsWith('text/event-stream')) {
    await readStream(res.body, handlers);
    return;
  }
  const body = await json(res);
  handlers.onPassages?.(body.passages || []);
  handlers.onCitations?.(body.citations || []);
  if (body.sentences) handlers.onSentences?.(body.sentences);
  handlers.onDone?.({
    answer: body.answer || '',
    abstained: Boolean(body.abstained),
    timings_ms: body.timings_ms,
    warning: body.warning,
  }, { streamed: false });
}

/** readStream dispatches the events of an answer stream to handlers. */
async function readStream(body, handlers) {
  let finished = false;
  for await (const ev of readSSE(body)) {
    let data;
    try {
      data = ev.data === '' ? null : JSON.parse(ev.data);
    } catch {
      throw new ApiError(`ragd sent a malformed "${ev.event}" event.`);
    }
    switch (ev.event) {
      case 'passages': handlers.onPassages?.(data || []); break;
      case 'delta': handlers.onDelta?.(data?.text ?? ''); break;
      case 'citations': handlers.onCitations?.(data || []); break;
      case 'sentences': handlers.onSentences?.(data || []); break;
      case 'done':
        finished = true;
        handlers.onDone?.({ ...data, abstained: Boolean(data?.abstained) }, { streamed: true });
        break;
      case 'error':
        throw new ApiError(capitalise(data?.error || 'the answer failed'));
      default:
        // Unknown events are ignored so the server can add some.
    }
    if (finished) return;
  }
  if (!finished) throw new ApiError('The connection closed before the answer was complete.', { network: true });
}

/**
 * readSSE parses a text/event-stream body into {event, data} values, as the
 * HTML standard describes: fields per line, data lines joined by newlines,
 * comment lines (": ping") skipped, an event dispatched at a blank line.
 */
export async function* readSSE(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data = [];
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (err.name === 'AbortError') throw err;
        throw new ApiError('The connection to ragd was lost while answering.', { network: true });
      }
      buffer += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        // A lone \r at the end may be the first half of \r\n: wait for more.
        if (buffer[nl] === '\r' && nl === buffer.length - 1 && !chunk.done) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (chunk.done) {
        if (data.length) yield { event: event || 'message', data: data.join('\n') };
        return;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** listDocuments reads one page of the document list. */
export async function listDocuments(offset, limit) {
  const res = await request(`/api/documents?offset=${offset}&limit=${limit}`, { headers: { Accept: 'application/json' } });
  return json(res);
}

/** getDocument reads one whole document. */
export async function getDocument(id) {
  const res = await request(`/api/documents/${encodeId(id)}`, { headers: { Accept: 'application/json' } });
  return json(res);
}

/** addDocument adds an article and returns {id, chunks, status}. */
export async function addDocument(doc) {
  const res = await request('/api/documents', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(doc),
  });
  return json(res);
}

/** deleteDocument removes a document by id. */
export async function deleteDocument(id) {
  const res = await request(`/api/documents/${encodeId(id)}`, {
    method: 'DELETE',
    headers: { Accept: 'application/json' },
  });
  return json(res);
}

/**
 * encodeId escapes a document id for a URL path. Dots are escaped too: the
 * browser would resolve an id "." or ".." as a path segment.
 */
function encodeId(id) {
  return encodeURIComponent(id).replace(/\./g, '%2E');
}
