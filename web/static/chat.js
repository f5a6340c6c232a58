// chat.js is the conversation: it sends questions with the earlier turns,
// renders answers as they stream, and keeps the turns for follow-ups.

import { ApiError, ask } from './api.js';
import { renderAnswerText } from './answer.js';
import { formatDate, formatMs, h, icon, icons, plural, sourceNode } from './dom.js';

// maxHistory is how many earlier messages a question carries.
const maxHistory = 12;

/** Chat owns the conversation list and the question box. */
export class Chat {
  /**
   * @param {{panel: import('./panel.js').SourcePanel}} deps
   */
  constructor({ panel }) {
    this.panel = panel;
    this.form = document.getElementById('ask-form');
    this.input = document.getElementById('question');
    this.send = document.getElementById('send');
    this.stop = document.getElementById('stop');
    this.list = document.getElementById('turns');
    this.scroller = document.getElementById('conversation');
    this.empty = document.getElementById('chat-empty');
    /** @type {{role: string, content: string}[]} */
    this.history = [];
    this.controller = null;

    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => this.autosize());
    this.stop.addEventListener('click', () => this.controller?.abort());
  }

  get busy() {
    return this.controller !== null;
  }

  /** autosize grows the question box with its text, up to a limit. */
  autosize() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  focus() {
    this.input.focus();
  }

  /** clear starts a new conversation. */
  clear() {
    this.controller?.abort();
    this.history = [];
    this.list.replaceChildren();
    this.empty.hidden = false;
    this.panel.close();
    this.input.value = '';
    this.autosize();
    this.input.focus();
  }

  submit() {
    const question = this.input.value.trim();
    if (!question || this.busy) return;
    this.input.value = '';
    this.autosize();
    this.askQuestion(question);
  }

  /** askQuestion adds a question and its answer to the conversation. */
  async askQuestion(question, replace) {
    this.empty.hidden = true;
    const history = this.history.slice(-maxHistory);
    const userTurn = h('li', { className: 'turn turn-user' },
      h('div', { className: 'bubble' }, h('span', { className: 'visually-hidden' }, 'You asked: '),
        h('span', { className: 'bubble-text' }, question)));
    const view = new AnswerView(this.panel, question);
    if (replace) {
      replace.user.replaceWith(userTurn);
      replace.answer.replaceWith(view.root);
    } else {
      this.list.append(userTurn, view.root);
    }
    userTurn.scrollIntoView({ block: 'start', behavior: 'smooth' });

    const controller = new AbortController();
    this.controller = controller;
    this.setBusy(true);
    try {
      await ask({ question, history, signal: controller.signal }, {
        onPassages: (p) => view.passages(p),
        onDelta: (t) => view.delta(t),
        onCitations: (c) => view.citations(c),
        onSentences: (s) => view.sentences(s),
        onDone: (d) => view.done(d),
      });
      if (!view.finished) throw new ApiError('The answer ended unexpectedly.');
      // A question the articles could not answer is no context for the
      // next one.
      if (!view.abstained) this.history.push({ role: 'user', content: question }, { role: 'assistant', content: view.answer });
      view.reveal(userTurn, this.scroller);
    } catch (err) {
      if (err.name === 'AbortError') {
        view.stopped();
      } else {
        view.failed(err, () => {
          if (!this.busy) this.askQuestion(question, { user: userTurn, answer: view.root });
        }, (q) => {
          this.input.value = q;
          this.autosize();
          this.input.focus();
        });
      }
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.setBusy(false);
      }
    }
  }

  setBusy(busy) {
    this.send.hidden = busy;
    this.stop.hidden = !busy;
    // One question at a time: an earlier answer's retry waits too.
    for (const b of this.list.querySelectorAll('button.retry')) b.disabled = busy;
    this.form.classList.toggle('busy', busy);
    if (!busy && document.activeElement === document.body) this.input.focus();
  }
}

/** AnswerView is one answer in the conversation. */
class AnswerView {
  constructor(panel, question) {
    this.panel = panel;
    this.question = question;
    this.answer = '';
    this.cites = new Map();
    this.sentenceList = null;
    this.hits = [];
    this.finished = false;
    this.abstained = false;
    this.frame = 0;

    this.status = h('div', { className: 'answer-status' },
      h('span', { className: 'dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
      h('span', { className: 'status-text' }, 'Searching the articles…'));
    this.text = h('div', { className: 'answer-text', 'aria-live': 'polite', 'aria-busy': 'true' });
    this.notes = h('div', { className: 'answer-notes' });
    this.sources = h('div', { className: 'answer-sources', hidden: true });
    this.passageBox = h('div', { className: 'answer-passages' });
    this.footer = h('div', { className: 'answer-footer', hidden: true });
    this.card = h('article', { className: 'answer', 'aria-label': 'Answer' },
      this.status, this.text, this.notes, this.sources, this.passageBox, this.footer);
    this.root = h('li', { className: 'turn turn-answer', dataset: { state: 'pending' } }, this.card);
  }

  setStatus(text) {
    this.status.querySelector('.status-text').textContent = text;
  }

  passages(hits) {
    this.hits = hits;
    this.setStatus(hits.length ? `Read ${plural(hits.length, 'passage')} · writing the answer…` : 'No passages found · answering…');
    this.root.dataset.state = 'streaming';
    this.renderPassages();
  }

  delta(text) {
    this.answer += text;
    this.root.dataset.state = 'streaming';
    this.scheduleRender();
  }

  citations(list) {
    this.cites = new Map(list.map((c) => [c.n, c]));
    this.scheduleRender();
    this.renderPassages();
  }

  sentences(list) {
    this.sentenceList = list;
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderText();
    });
  }

  renderText() {
    const unsupported = renderAnswerText(this.text, this.answer, {
      citations: this.cites,
      final: this.finished,
      sentences: this.sentenceList,
      onChip: (n, button) => this.openCitation(n, button),
    });
    return unsupported;
  }

  openCitation(n, button) {
    const c = this.cites.get(n);
    if (!c) return;
    this.panel.open({
      docId: c.doc_id, title: c.title, kicker: `Citation ${n}${c.post_hoc ? ' · added by ragd' : ''}`,
      start: c.start, end: c.end, highlight: c.highlight,
    }, button);
  }

  done({ answer, abstained, timings_ms: timings, warning }) {
    this.finished = true;
    this.abstained = Boolean(abstained);
    if (typeof answer === 'string' && answer !== '') this.answer = answer;
    this.cancelRender();
    this.status.remove();
    this.text.setAttribute('aria-busy', 'false');
    this.root.dataset.state = abstained ? 'abstained' : 'done';

    if (abstained) {
      this.card.classList.add('abstained');
      this.card.setAttribute('aria-label', 'No answer found');
      this.text.replaceChildren(
        h('div', { className: 'abstain-head' }, icon(...icons.searchOff), h('strong', {}, 'No answer in the articles')),
        h('p', { className: 'abstain-text' }, this.answer || 'ragd could not find this in the indexed articles.'),
        h('p', { className: 'abstain-hint' }, 'Try rephrasing the question, or add articles that cover it.'));
    } else {
      const unsupported = this.renderText();
      if (unsupported) {
        this.notes.append(h('p', { className: 'note note-unsupported' }, icon(...icons.warning),
          h('span', {}, `${plural(unsupported, 'sentence')} ${unsupported === 1 ? 'is' : 'are'} not supported by ${unsupported === 1 ? 'its' : 'their'} cited passage. ${unsupported === 1 ? 'It is' : 'They are'} underlined in red.`)));
      }
      this.renderSources();
    }
    if (warning) this.notes.append(h('p', { className: 'note note-warning' }, icon(...icons.alert), h('span', {}, warning)));
    this.renderPassages();
    this.renderFooter(timings, abstained);
  }

  /** renderSources lists the cited documents under the answer. */
  renderSources() {
    const list = [...this.cites.values()].sort((a, b) => a.n - b.n);
    if (!list.length) return;
    this.sources.hidden = false;
    this.sources.replaceChildren(
      h('h3', { className: 'mini-head' }, 'Sources'),
      h('ul', { className: 'source-cards' }, list.map((c) => h('li', {},
        h('button', {
          type: 'button', className: 'source-card', 'aria-controls': 'source-panel', 'aria-expanded': 'false',
          onclick: (e) => this.openCitation(c.n, e.currentTarget),
        }, h('span', { className: 'source-n' }, String(c.n)),
        h('span', { className: 'source-body' },
          h('span', { className: 'source-title' }, c.title || c.doc_id),
          c.quote ? h('span', { className: 'source-quote' }, `“${c.quote.replace(/^[“"]|[”"]$/g, '')}”`) : null))))));
  }

  renderPassages() {
    const hits = this.hits || [];
    if (!hits.length) {
      this.passageBox.replaceChildren();
      return;
    }
    const cited = new Map();
    for (const c of this.cites.values()) {
      if (!cited.has(c.chunk_id)) cited.set(c.chunk_id, []);
      cited.get(c.chunk_id).push(c.n);
    }
    const open = this.passageBox.querySelector('details')?.open ?? false;
    const details = h('details', { className: 'passages', open },
      h('summary', {}, icon(...icons.chevron), h('span', {}, `${plural(hits.length, 'passage')} retrieved`)),
      h('ol', { className: 'passage-list' }, hits.map((hit, i) => this.passageItem(hit, i, cited.get(hit.chunk_id)))));
    this.passageBox.replaceChildren(details);
  }

  passageItem(hit, i, citedAs) {
    const open = (e) => this.panel.open({
      docId: hit.doc_id, title: hit.title, kicker: `Passage ${i + 1} · score ${score(hit.score)}`,
      start: hit.start, end: hit.end,
    }, e.currentTarget);
    return h('li', { className: 'passage' },
      h('div', { className: 'passage-head' },
        h('span', { className: 'passage-rank', 'aria-hidden': 'true' }, String(i + 1)),
        h('button', { type: 'button', className: 'passage-title', onclick: open, 'aria-controls': 'source-panel' }, hit.title || hit.doc_id),
        citedAs ? h('span', { className: 'badge badge-cited' }, `cited [${citedAs.join(', ')}]`) : null,
        h('span', { className: 'badge badge-score', title: 'Retrieval score' },
          h('span', { className: 'visually-hidden' }, 'score '), score(hit.score))),
      h('p', { className: 'passage-text' }, hit.text),
      h('p', { className: 'passage-meta' }, [sourceNode(hit.source), hit.published ? formatDate(hit.published) : null]
        .filter(Boolean).flatMap((m, j) => (j ? [' · ', m] : [m]))));
  }

  renderFooter(timings, abstained) {
    const items = [];
    if (!abstained) {
      const copy = h('button', { type: 'button', className: 'btn btn-ghost btn-sm copy' }, icon(...icons.copy), h('span', {}, 'Copy answer'));
      copy.addEventListener('click', () => this.copy(copy));
      items.push(copy);
    }
    const total = timings?.total;
    if (typeof total === 'number') {
      const detail = [`retrieval ${formatMs(timings.retrieve)}`, `answer ${formatMs(timings.answer)}`].join(', ');
      items.push(h('span', { className: 'timing', title: detail }, icon(...icons.clock),
        h('span', {}, `Answered in ${formatMs(total)}`)));
    }
    this.footer.hidden = items.length === 0;
    this.footer.replaceChildren(...items);
  }

  async copy(button) {
    const sources = [...this.cites.values()].sort((a, b) => a.n - b.n)
      .map((c) => `[${c.n}] ${c.title}${c.source ? ` (${c.source})` : ''}`);
    const text = sources.length ? `${this.answer}\n\nSources:\n${sources.join('\n')}` : this.answer;
    const label = button.querySelector('span');
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch {
      ok = copyFallback(text);
    }
    label.textContent = ok ? 'Copied' : 'Copy failed';
    button.classList.toggle('copied', ok);
    setTimeout(() => {
      label.textContent = 'Copy answer';
      button.classList.remove('copied');
    }, 2000);
  }

  /**
   * reveal scrolls a finished answer's question to the top of the
   * conversation when the answer runs past its bottom edge, so that the
   * reader starts at the question rather than at a cut-off answer.
   */
  reveal(userTurn, scroller) {
    const box = scroller.getBoundingClientRect();
    if (this.root.getBoundingClientRect().bottom > box.bottom && userTurn.getBoundingClientRect().top > box.top + 1) {
      userTurn.scrollIntoView({ block: 'start', behavior: 'smooth' });
    }
  }

  stopped() {
    this.finished = true;
    this.cancelRender();
    this.status.remove();
    this.text.setAttribute('aria-busy', 'false');
    this.root.dataset.state = 'stopped';
    this.renderText();
    this.notes.append(h('p', { className: 'note' }, 'Stopped.'));
  }

  /** cancelRender drops a render scheduled for the next frame. */
  cancelRender() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  failed(err, retry, edit) {
    // A render still scheduled for streamed text would replace the error.
    this.cancelRender();
    this.status.remove();
    this.text.setAttribute('aria-busy', 'false');
    this.root.dataset.state = 'error';
    this.card.classList.add('failed');
    let title = 'Something went wrong';
    if (err instanceof ApiError) {
      if (err.network) title = 'Cannot reach ragd';
      else if (err.status >= 500) title = 'ragd hit an error';
      else if (err.status >= 400) title = 'The question was not accepted';
    }
    // A rejected question fails again as it is: offer to edit it instead.
    const rejected = err instanceof ApiError && err.status >= 400 && err.status < 500;
    const action = rejected
      ? h('button', { type: 'button', className: 'btn btn-secondary btn-sm', onclick: () => edit(this.question) }, icon(...icons.edit), h('span', {}, 'Edit the question'))
      : h('button', { type: 'button', className: 'btn btn-secondary btn-sm retry', onclick: retry }, icon(...icons.retry), h('span', {}, 'Try again'));
    this.text.replaceChildren(h('div', { className: 'error-box', role: 'alert' },
      h('div', { className: 'error-head' }, icon(...icons.alert), h('strong', {}, title)),
      h('p', { className: 'error-message' }, err.message || String(err)),
      action));
  }
}

function score(s) {
  return typeof s === 'number' ? s.toFixed(3) : '–';
}

/** copyFallback copies through a hidden text area where the clipboard API is refused. */
function copyFallback(text) {
  const area = h('textarea', { className: 'visually-hidden', 'aria-hidden': 'true', tabindex: '-1' });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}
