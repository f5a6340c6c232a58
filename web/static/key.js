// key.js is the dialog that asks for an API key when ragd answers 401;
// api.js keeps the key.

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
