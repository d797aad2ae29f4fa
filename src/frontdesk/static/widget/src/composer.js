// The text box: character counter, auto height, Enter to send.

const COUNTER_FROM = MAX_LENGTH - 400;

const withComposer = (Base) => class WidgetComposer extends Base {
  onInput() {
    const { input, send, count } = this.ui;
    const length = input.value.length;
    send.disabled = input.value.trim() === '';
    count.hidden = length < COUNTER_FROM;
    count.textContent = `${length} / ${MAX_LENGTH}`;
    count.toggleAttribute('data-full', length >= MAX_LENGTH);
    this.autosize();
    if (input.value.trim()) this.notifyTyping();
    else this.stopTyping();
  }

  autosize() {
    const input = this.ui.input;
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  }

  submit() {
    const input = this.ui.input;
    const text = input.value.slice(0, MAX_LENGTH).trim();
    if (!text) return;
    input.value = '';
    this.onInput();
    this.showError(null);
    this.send(text);
  }
};
