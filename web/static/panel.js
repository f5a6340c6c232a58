// panel.js is the side panel that shows a source document with the quoted
// span highlighted and scrolled into view.

import { getDocument } from './api.js';
import { formatDate, h, sourceNode } from './dom.js';

/**
 * SourcePanel shows one document at a time. Documents are fetched once
 * and kept while the page lives, unless deleted.
 */
export class SourcePanel {
  constructor(root) {
    this.root = root;
    this.kicker = root.querySelector('#panel-kicker');
    this.title = root.querySelector('#panel-title');
    this.meta = root.querySelector('#panel-meta');
    this.body = root.querySelector('#panel-body');
    this.backdrop = document.getElementById('backdrop');
    // Where the panel covers the page (narrow windows), the page behind
    // is made inert while it is open, so that focus stays in the panel.
    this.behind = [document.querySelector('.skip-link'), document.querySelector('.topbar'), document.getElementById('main')].filter(Boolean);
    this.overlay = window.matchMedia('(max-width: 1080px)');
    this.overlay.addEventListener('change', () => this.setInert());
    this.cache = new Map();
    this.trigger = null;
    this.token = 0;
    root.querySelector('#panel-close').addEventListener('click', () => this.close());
    this.backdrop.addEventListener('click', () => this.close());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.root.hidden && !e.defaultPrevented) {
        e.preventDefault();
        this.close();
      }
    });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** forget drops a cached document, after it is deleted or replaced. */
  forget(id) {
    this.cache.delete(id);
  }

  /**
   * open shows document docId. start and end are the code point offsets of
   * the span to mark; highlight, if set, is a sub-span marked more
   * strongly. kicker labels what is shown ("Citation 1").
   */
  async open({ docId, title = '', kicker = 'Source', start, end, highlight }, trigger) {
    const token = ++this.token;
    this.setTrigger(trigger);
    this.root.hidden = false;
    this.backdrop.hidden = false;
    document.body.classList.add('panel-open');
    this.setInert();
    this.kicker.textContent = kicker;
    this.setTitle(title || 'Loading…');
    this.meta.replaceChildren();
    this.body.replaceChildren(skeleton());
    this.root.setAttribute('aria-busy', 'true');
    this.title.focus({ preventScroll: true });

    let doc;
    try {
      doc = await this.load(docId);
    } catch (err) {
      if (token !== this.token) return;
      this.root.setAttribute('aria-busy', 'false');
      this.body.replaceChildren(h('div', { className: 'panel-error', role: 'alert' },
        h('strong', {}, err.status === 404 ? 'This document is no longer indexed.' : 'Could not load the document.'),
        h('p', {}, err.message)));
      return;
    }
    if (token !== this.token) return;
    this.root.setAttribute('aria-busy', 'false');
    this.setTitle(doc.title || title || doc.id);
    const meta = [sourceNode(doc.source), doc.published ? h('time', { datetime: doc.published }, formatDate(doc.published)) : null,
      doc.author ? h('span', {}, doc.author) : null].filter(Boolean);
    this.meta.replaceChildren(...meta);
    this.body.replaceChildren(...renderDocument(doc, start, end, highlight));
    const mark = this.body.querySelector('mark.quote');
    if (mark) {
      this.body.scrollTop = 0;
      mark.scrollIntoView({ block: 'center', inline: 'nearest' });
    } else {
      this.body.scrollTop = 0;
    }
  }

  load(id) {
    if (!this.cache.has(id)) {
      const p = getDocument(id);
      p.catch(() => this.cache.delete(id));
      this.cache.set(id, p);
    }
    return this.cache.get(id);
  }

  /** setTitle shows a title, clamped to three lines, whole in its tooltip. */
  setTitle(text) {
    this.title.textContent = text;
    this.title.title = text;
  }

  /** setInert makes the page behind inert while the panel covers it. */
  setInert() {
    const cover = this.isOpen && this.overlay.matches;
    for (const el of this.behind) el.inert = cover;
  }

  setTrigger(trigger) {
    if (this.trigger && this.trigger !== trigger) this.trigger.setAttribute('aria-expanded', 'false');
    this.trigger = trigger || null;
    if (this.trigger?.hasAttribute('aria-expanded')) this.trigger.setAttribute('aria-expanded', 'true');
  }

  /** close hides the panel and gives focus back to what opened it. */
  close() {
    if (this.root.hidden) return;
    this.token++;
    this.root.hidden = true;
    this.backdrop.hidden = true;
    document.body.classList.remove('panel-open');
    this.setInert();
    const trigger = this.trigger;
    this.setTrigger(null);
    if (trigger && trigger.isConnected) trigger.focus();
  }
}

function skeleton() {
  return h('div', { className: 'skeleton', 'aria-hidden': 'true' },
    h('span', {}), h('span', {}), h('span', {}), h('span', {}), h('span', {}));
}

/**
 * renderDocument splits a document's text into paragraphs and marks
 * [start, end) (code points) as the quote, with highlight [s, e) inside it
 * marked more strongly. A first line repeating the title is left out.
 */
export function renderDocument(doc, start, end, highlight) {
  const chars = Array.from(doc.text || '');
  const hasQuote = Number.isInteger(start) && Number.isInteger(end) && end > start;
  const [hs, he] = Array.isArray(highlight) && highlight.length === 2 ? highlight : [-1, -1];
  const out = [];
  let ps = 0;
  let first = true;
  while (ps <= chars.length) {
    let pe = chars.indexOf('\n', ps);
    if (pe < 0) pe = chars.length;
    const line = chars.slice(ps, pe).join('');
    const touches = hasQuote && start < pe + 1 && end > ps;
    const skipTitle = first && !touches && line.trim() === (doc.title || '').trim();
    if (line.trim() !== '' && !skipTitle) {
      const p = h('p', { className: isHeading(line, first) ? 'doc-heading' : undefined });
      if (touches) {
        appendMarked(p, chars, ps, pe, start, end, hs, he);
      } else {
        p.textContent = line;
      }
      out.push(p);
    }
    first = false;
    if (pe >= chars.length) break;
    ps = pe + 1;
  }
  return out;
}

function appendMarked(p, chars, ps, pe, start, end, hs, he) {
  const a = Math.max(ps, start);
  const b = Math.min(pe, end);
  if (a > ps) p.append(chars.slice(ps, a).join(''));
  if (b > a) {
    const mark = h('mark', { className: 'quote' });
    const ha = Math.max(a, hs);
    const hb = Math.min(b, he);
    if (hb > ha) {
      if (ha > a) mark.append(chars.slice(a, ha).join(''));
      mark.append(h('mark', { className: 'answer-span' }, chars.slice(ha, hb).join('')));
      if (hb < b) mark.append(chars.slice(hb, b).join(''));
    } else {
      mark.textContent = chars.slice(a, b).join('');
    }
    p.append(mark);
  }
  if (pe > b) p.append(chars.slice(Math.max(b, ps), pe).join(''));
}

/** isHeading guesses that a short line without final punctuation is a subheading. */
function isHeading(line, first) {
  const t = line.trim();
  if (first || t.length > 70 || t.includes(':')) return false;
  if (!/^[\p{Lu}\p{N}]/u.test(t) || /[.!?…"”’)\]]$/u.test(t)) return false;
  return t.split(/\s+/).length <= 10;
}
