// Runs first: finds this <script> tag and its agent key, or stops the whole widget.
// Every file in src/ is a piece of one function body (see scripts/build_widget.py), so the
// `return`s below end the script and the names declared here are seen by all later files.

// Must be read synchronously: currentScript is null once this first run has finished.
const script = document.currentScript ||
  document.querySelector('script[data-agent][src*="widget.js"]');

const TAG = 'frontdesk-widget';
const MAX_LENGTH = 4000; // characters in one message, as the server allows

if (!window.customElements || !script || customElements.get(TAG)) return;

const publicKey = script.getAttribute('data-agent');
if (!publicKey) {
  console.warn('[frontdesk] widget.js needs a data-agent="PUBLIC_KEY" attribute.');
  return;
}
const serverOrigin = new URL(script.src, location.href).origin;
