// documents.js is the Documents view: add an article (pasted or read from
// a file), list the indexed articles a page at a time, delete one.

import { addDocument, deleteDocument, listDocuments } from './api.js';
import { formatCount, formatDate, h, icon, icons, plural, sourceNode } from './dom.js';

// pageSize is how many documents one page of the list shows.
const pageSize = 20;

// maxFileBytes bounds a file read into the text box.
const maxFileBytes = 10 << 20;

/** Documents owns the add form and the list. */
export class Documents {
  /**
   * @param {{panel: import('./panel.js').SourcePanel, onCount: (n: number) => void}} deps
   */
  constructor({ panel, onCount }) {
    this.panel = panel;
    this.onCount = onCount;
    this.offset = 0;
    this.total = 0;
    this.form = document.getElementById('doc-form');
    this.fields = {
      title: document.getElementById('doc-title'),
      source: document.getElementById('doc-source'),
      published: document.getElementById('doc-published'),
      author: document.getElementById('doc-author'),
      text: document.getElementById('doc-text'),
    };
    this.file = document.getElementById('doc-file');
    this.submitButton = document.getElementById('doc-submit');
    this.status = document.getElementById('doc-status');
    this.listStatus = document.getElementById('list-status');
    this.list = document.getElementById('doc-list');
    this.totalLabel = document.getElementById('doc-total');
    this.pager = document.getElementById('pager');
    this.pageInfo = document.getElementById('page-info');
    this.prev = document.getElementById('prev-page');
    this.next = document.getElementById('next-page');

    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.add();
    });
    this.form.addEventListener('reset', () => {
      this.setStatus(this.status, '');
      for (const f of Object.values(this.fields)) clearInvalid(f);
    });
    for (const f of Object.values(this.fields)) f.addEventListener('input', () => clearInvalid(f));
    this.file.addEventListener('change', () => this.readFile());
    this.prev.addEventListener('click', () => this.load(Math.max(0, this.offset - pageSize)));
    this.next.addEventListener('click', () => this.load(this.offset + pageSize));
  }

  setStatus(node, text, kind = '') {
    node.className = `form-status${kind ? ` is-${kind}` : ''}`;
    node.replaceChildren();
    if (!text) return;
    if (kind === 'error') node.append(icon(...icons.alert));
    if (kind === 'ok') node.append(icon(...icons.check));
    node.append(h('span', {}, text));
  }

  /** readFile puts a chosen .txt or .md file into the form. */
  async readFile() {
    const file = this.file.files?.[0];
    if (!file) return;
    if (file.size > maxFileBytes) {
      this.setStatus(this.status, `${file.name} is larger than 10 MB.`, 'error');
      this.file.value = '';
      return;
    }
    let text;
    try {
      text = await file.text();
    } catch {
      this.setStatus(this.status, `Could not read ${file.name}.`, 'error');
      return;
    }
    this.fields.text.value = text;
    clearInvalid(this.fields.text);
    if (!this.fields.title.value.trim()) this.fields.title.value = titleOf(text, file.name);
    this.setStatus(this.status, `Loaded ${file.name} (${formatCount(text.length)} characters). Check the title, then add it.`);
    this.file.value = '';
  }

  /** add validates the form and posts the article. */
  async add() {
    const doc = {
      title: this.fields.title.value.trim(),
      text: this.fields.text.value,
    };
    for (const key of ['source', 'published', 'author']) {
      const v = this.fields[key].value.trim();
      if (v) doc[key] = v;
    }
    const missing = [];
    if (!doc.title) missing.push(['title', 'a title']);
    if (!doc.text.trim()) missing.push(['text', 'the text']);
    if (missing.length) {
      for (const [key] of missing) this.fields[key].setAttribute('aria-invalid', 'true');
      this.setStatus(this.status, `Please enter ${missing.map(([, what]) => what).join(' and ')}.`, 'error');
      this.fields[missing[0][0]].focus();
      return;
    }
    this.submitButton.disabled = true;
    this.submitButton.textContent = 'Adding…';
    this.setStatus(this.status, '');
    try {
      const res = await addDocument(doc);
      this.panel.forget(res.id);
      const what = `“${doc.title}”`;
      const message = res.status === 'unchanged'
        ? `${what} is already indexed.`
        : `${res.status === 'updated' ? 'Updated' : 'Added'} ${what} as ${plural(res.chunks, 'passage')}.`;
      this.form.reset();
      this.setStatus(this.status, message, 'ok');
      await this.load(0, res.id);
    } catch (err) {
      this.setStatus(this.status, err.message, 'error');
    } finally {
      this.submitButton.disabled = false;
      this.submitButton.textContent = 'Add article';
    }
  }

  /** load shows the page of the list starting at offset. */
  async load(offset = this.offset, flashId = '') {
    this.list.setAttribute('aria-busy', 'true');
    let page;
    try {
      page = await listDocuments(offset, pageSize);
    } catch (err) {
      this.list.setAttribute('aria-busy', 'false');
      this.setStatus(this.listStatus, err.message, 'error');
      return;
    }
    if (page.documents.length === 0 && offset > 0 && page.total > 0) {
      return this.load(Math.max(0, page.total - pageSize), flashId);
    }
    this.list.setAttribute('aria-busy', 'false');
    if (this.listStatus.classList.contains('is-error')) this.setStatus(this.listStatus, '');
    this.offset = page.offset;
    this.total = page.total;
    this.onCount(page.total);
    this.totalLabel.textContent = plural(page.total, 'article');
    if (page.documents.length === 0) {
      this.list.replaceChildren(h('li', { className: 'doc-empty' },
        icon(...icons.doc), h('span', {}, 'No articles yet. Add one with the form.')));
    } else {
      this.list.replaceChildren(...page.documents.map((d) => this.item(d, d.id === flashId)));
    }
    const pages = page.total > pageSize;
    this.pager.hidden = !pages;
    if (pages) {
      const last = Math.min(page.offset + page.documents.length, page.total);
      this.pageInfo.textContent = `${page.offset + 1}–${last} of ${page.total}`;
      const focused = document.activeElement;
      this.prev.disabled = page.offset === 0;
      this.next.disabled = last >= page.total;
      // The button that brought the first or last page is disabled now:
      // focus moves to the other one rather than to the page.
      if (focused === this.next && this.next.disabled && !this.prev.disabled) this.prev.focus();
      if (focused === this.prev && this.prev.disabled && !this.next.disabled) this.next.focus();
    }
  }

  item(d, flash) {
    const del = h('button', {
      type: 'button', className: 'btn btn-icon btn-danger-ghost delete', 'aria-label': `Delete “${d.title}”`, title: 'Delete',
    }, icon(...icons.trash), h('span', { className: 'delete-label' }, 'Delete'));
    let armed = 0;
    del.addEventListener('click', async () => {
      if (!armed) {
        armed = setTimeout(() => disarm(), 4000);
        del.classList.add('armed');
        del.setAttribute('aria-label', `Confirm: delete “${d.title}”`);
        del.querySelector('.delete-label').textContent = 'Confirm';
        return;
      }
      clearTimeout(armed);
      del.disabled = true;
      try {
        await deleteDocument(d.id);
        this.panel.forget(d.id);
        this.setStatus(this.listStatus, `Deleted “${d.title}”.`, 'ok');
        await this.load(this.offset);
        this.list.querySelector('.doc-title')?.focus();
      } catch (err) {
        del.disabled = false;
        disarm();
        this.setStatus(this.listStatus, err.message, 'error');
      }
    });
    del.addEventListener('blur', () => disarm());
    const disarm = () => {
      clearTimeout(armed);
      armed = 0;
      del.classList.remove('armed');
      del.setAttribute('aria-label', `Delete “${d.title}”`);
      del.querySelector('.delete-label').textContent = 'Delete';
    };

    const meta = [
      sourceNode(d.source),
      d.published ? h('time', { datetime: d.published }, formatDate(d.published)) : null,
      h('span', {}, plural(d.chunks, 'passage')),
      h('span', {}, `${formatCount(d.chars)} characters`),
    ].filter(Boolean);
    return h('li', { className: `doc${flash ? ' flash' : ''}`, dataset: { id: d.id } },
      h('div', { className: 'doc-icon', 'aria-hidden': 'true' }, icon(...icons.doc)),
      h('div', { className: 'doc-main' },
        h('button', {
          type: 'button', className: 'doc-title', 'aria-controls': 'source-panel',
          onclick: (e) => this.panel.open({ docId: d.id, title: d.title, kicker: 'Document' }, e.currentTarget),
        }, d.title || d.id),
        h('p', { className: 'doc-meta' }, meta)),
      del);
  }
}

function clearInvalid(field) {
  field.removeAttribute('aria-invalid');
}

/** titleOf takes a title from a file's first line, or from its name. */
function titleOf(text, name) {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '') || '';
  const t = first.replace(/^#+\s*/, '').trim();
  if (t && t.length <= 200) return t;
  return name.replace(/\.[^.]+$/, '').replace(/[-_]+/g, ' ');
}
