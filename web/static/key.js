// key.js asks for an API key when ragd answers 401, and keeps it in the
// tab's sessionStorage only: it is gone when the tab is closed, and other
// tabs and sites never see it.

const storageName = 'ragd.apiKey';

/** storedKey returns the tab's API key, or '' when there is none. */
export function storedKey() {
  try {
    return sessionStorage.getItem(storageName) || '';
  } catch {
    return '';
  }
}

/** storeKey keeps key for the tab; an empty key forgets it. */
export function storeKey(key) {
  try {
    if (key) sessionStorage.setItem(storageName, key);
    else sessionStorage.removeItem(storageName);
  } catch {
    // Storage refused (a privacy mode): the key lasts as long as the page.
  }
}

/**
 * KeyDialog is the modal dialog that asks for a key. ask(message) shows it
 * and resolves to the key entered, or null when the person cancels; calls
 * made while it is open share its answer.
 */
export class KeyDialog {
  constructor(dialog) {
    this.dialog = dialog;
    this.form = dialog.querySelector('form');
    this.input = dialog.querySelector('input');
    this.reason = dialog.querySelector('.key-reason');
    this.pending = null;
    dialog.querySelector('.key-cancel').addEventListener('click', () => dialog.close('cancel'));
  }

  ask(message) {
    if (this.pending) return this.pending;
    this.reason.textContent = message;
    this.input.value = '';
    this.pending = new Promise((resolve) => {
      const onSubmit = (ev) => {
        ev.preventDefault();
        const key = this.input.value.trim();
        if (!key) {
          this.input.focus();
          return;
        }
        this.dialog.close('ok');
      };
      const onClose = () => {
        this.form.removeEventListener('submit', onSubmit);
        this.pending = null;
        resolve(this.dialog.returnValue === 'ok' ? this.input.value.trim() : null);
        this.input.value = '';
      };
      this.form.addEventListener('submit', onSubmit);
      this.dialog.addEventListener('close', onClose, { once: true });
      this.dialog.returnValue = '';
      this.dialog.showModal();
      this.input.focus();
    });
    return this.pending;
  }
}
