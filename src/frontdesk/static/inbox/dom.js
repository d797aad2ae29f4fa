// Tiny DOM helpers. Everything is built with createElement/textContent: server data never
// goes through an HTML parser.

/**
 * h('button', {class: 'btn', testid: 'send', onclick: fn}, 'Send')
 * Props: class, testid, dataset, text, value (set after children, so <select> works),
 * on<event> functions, anything else as an attribute (true → present, false/null → absent).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  let value;
  for (const [key, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (key === 'class') el.className = v;
    else if (key === 'testid') el.dataset.testid = v;
    else if (key === 'dataset') Object.assign(el.dataset, v);
    else if (key === 'text') el.textContent = String(v);
    else if (key === 'value') value = v;
    else if (key.startsWith('on') && typeof v === 'function') el.addEventListener(key.slice(2), v);
    else el.setAttribute(key, v === true ? '' : String(v));
  }
  append(el, children);
  if (value !== undefined) el.value = value;
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function option(value, label, selected = false) {
  return h('option', { value, selected }, label);
}

/** Only http(s) URLs become links; anything else (javascript:, data:, junk) is refused. */
export function safeUrl(raw) {
  if (typeof raw !== 'string' || !raw) return null;
  try {
    const url = new URL(raw, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

export function externalLink(url, label, props = {}) {
  return h('a', { ...props, href: url, target: '_blank', rel: 'noopener noreferrer' }, label);
}

/** A role=alert line for error messages; set(text) shows it, set('') hides it. */
export function errorLine(testid = null) {
  const el = h('p', { class: 'error-line', role: 'alert', testid, hidden: true });
  return {
    el,
    set(message) {
      el.textContent = message || '';
      el.hidden = !message;
    },
  };
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-http deployments have no async clipboard API.
  const area = h('textarea', { class: 'visually-hidden', readonly: true });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy failed');
}

/** A value shown once (invite URL, API key) with a copy button. */
export function secretBox(value, testid) {
  const code = h('code', { class: 'secret-value', testid, tabindex: '0' }, value);
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, 'Copy');
  button.addEventListener('click', async () => {
    try {
      await copyText(value);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy manually';
      const range = document.createRange();
      range.selectNodeContents(code);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 2000);
  });
  return h('div', { class: 'secret-box' }, code, button);
}

/**
 * A destructive button that asks inline ("Remove Ada? [Remove] [Cancel]") instead of
 * window.confirm, which is blocking and easy to click through.
 */
export function confirmButton({ label, question, confirmLabel, testid, onConfirm }) {
  const wrap = h('span', { class: 'confirm' });
  const start = h('button', { type: 'button', class: 'btn btn-ghost btn-small btn-danger-text', testid },
    label);
  const showStart = () => {
    wrap.replaceChildren(start);
  };
  start.addEventListener('click', () => {
    const yes = h('button', {
      type: 'button', class: 'btn btn-danger btn-small', testid: testid && `${testid}-confirm`,
    }, confirmLabel || label);
    const no = h('button', { type: 'button', class: 'btn btn-ghost btn-small' }, 'Cancel');
    no.addEventListener('click', () => { showStart(); start.focus(); });
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      try {
        await onConfirm();
      } finally {
        if (wrap.isConnected) showStart();
      }
    });
    wrap.replaceChildren(h('span', { class: 'confirm-question' }, question), yes, no);
    no.focus();
  });
  showStart();
  return wrap;
}

export function titleCase(word) {
  return word ? word.charAt(0).toUpperCase() + word.slice(1) : '';
}
