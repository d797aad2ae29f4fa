// The inbox WebSocket: resumes from the last event id it saw, reconnects with backoff and
// mirrors its state on <body data-live="open|connecting|closed">.

const MIN_DELAY = 1000;
const MAX_DELAY = 30000;

export class LiveSocket {
  constructor(path = '/api/v1/inbox/ws') {
    this.path = path;
    this.lastEventId = null;
    this.ws = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = true;
    this.readyOnce = false;
    this.listeners = new Set();
    this.stateListeners = new Set();
    this.state = 'closed';
    this.retryAt = null;
    this.onOnline = () => { if (!this.stopped && !this.ws) this.connectNow(); };
  }

  /** Frame listener; returns an unsubscribe function. */
  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener) {
    this.stateListeners.add(listener);
    listener(this.state);
    return () => this.stateListeners.delete(listener);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
    this.setState('closed');
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  connectNow() {
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  setState(state) {
    this.state = state;
    document.body.dataset.live = state;
    for (const listener of this.stateListeners) listener(state);
  }

  url() {
    const url = new URL(this.path, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.lastEventId !== null) url.searchParams.set('last_event_id', String(this.lastEventId));
    return url.href;
  }

  connect() {
    if (this.stopped) return;
    this.retryAt = null;
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let gotReady = false;
    ws.addEventListener('open', () => {
      if (ws === this.ws) this.setState('open');
    });
    ws.addEventListener('message', (event) => {
      if (ws !== this.ws) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object') return;
      if (frame.type === 'ready' || frame.type === 'reset') {
        if (Number.isInteger(frame.last_event_id)) this.lastEventId = frame.last_event_id;
        if (frame.type === 'ready') {
          gotReady = true;
          this.attempt = 0;
          frame.first = !this.readyOnce;
          this.readyOnce = true;
        }
      } else if (Number.isInteger(frame.id)) {
        this.lastEventId = Math.max(this.lastEventId ?? 0, frame.id);
      }
      this.emit(frame);
    });
    ws.addEventListener('close', (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      // A socket that closes before "ready" may have been refused (signed out): let the app check.
      if (!gotReady) this.emit({ type: 'disconnected', code: event.code, beforeReady: true });
      this.scheduleReconnect();
    });
    // 'error' is always followed by 'close'; nothing to do here.
  }

  scheduleReconnect() {
    if (this.stopped) return;
    const base = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState('closed');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  emit(frame) {
    for (const listener of [...this.listeners]) {
      try {
        listener(frame);
      } catch (err) {
        console.error('live listener failed', err);
      }
    }
  }
}
