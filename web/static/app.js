// app.js starts the chat page: it wires the chat, the documents view and
// the source panel together and switches views by the URL's fragment.

import { listDocuments, setKeyPrompt } from './api.js';
import { Chat } from './chat.js';
import { plural } from './dom.js';
import { Documents } from './documents.js';
import { KeyDialog } from './key.js';
import { SourcePanel } from './panel.js';

const views = ['chat', 'documents'];

function start() {
  const keyDialog = new KeyDialog(document.getElementById('key-dialog'));
  setKeyPrompt((message) => keyDialog.ask(message));
  const panel = new SourcePanel(document.getElementById('source-panel'));
  const chat = new Chat({ panel });
  const countBadge = document.getElementById('doc-count');
  const emptyMeta = document.getElementById('empty-meta');
  const setCount = (n) => {
    countBadge.textContent = String(n);
    emptyMeta.replaceChildren();
    if (n === 0) {
      emptyMeta.append('No articles are indexed yet. ');
      const a = document.createElement('a');
      a.href = '#documents';
      a.textContent = 'Add one in Documents';
      emptyMeta.append(a, '.');
    } else {
      emptyMeta.textContent = `${plural(n, 'article')} indexed.`;
    }
  };
  const docs = new Documents({ panel, onCount: setCount });

  let docsLoaded = false;
  const show = (moveFocus) => {
    const name = views.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'chat';
    for (const v of views) document.getElementById(`view-${v}`).hidden = v !== name;
    for (const tab of document.querySelectorAll('.tab')) {
      if (tab.dataset.view === name) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    document.body.dataset.view = name;
    if (name === 'documents') {
      docs.load(docsLoaded ? undefined : 0);
      docsLoaded = true;
      if (moveFocus) document.getElementById('doc-title').focus();
    } else if (moveFocus) {
      chat.focus();
    }
  };
  window.addEventListener('hashchange', () => show(true));
  document.getElementById('new-chat').addEventListener('click', () => {
    if (location.hash !== '#chat' && location.hash !== '') location.hash = '#chat';
    chat.clear();
  });
  show(false);
  if (document.body.dataset.view === 'chat') chat.focus();

  listDocuments(0, 1).then((p) => setCount(p.total), () => {
    emptyMeta.textContent = 'Cannot reach ragd right now.';
  });
  document.body.classList.add('ready');
}

start();
