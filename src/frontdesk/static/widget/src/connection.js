// The live WebSocket: hello with the last seq seen, backoff reconnects, HTTP catch-up.

const STABLE_SOCKET_MS = 2000;
const CATCH_UP_EVERY_MS = 15000;

const withConnection = (Base) => class WidgetConnection extends Base {
  socketUrl() {
    const base = serverOrigin.replace(/^http/, 'ws');
    // The token goes in the first frame (see connect), never in a URL that servers log.
    return `${base}/api/v1/widget/ws`;
  }

  connect() {
    if (!this.conv || this.socket || !this.isConnected) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.setConnection('connecting');
    let socket;
    try {
      socket = new WebSocket(this.socketUrl());
    } catch (_) {
      return this.scheduleReconnect();
    }
    this.socket = socket;
    this.socketOpenedAt = 0;
    socket.onopen = () => {
      // A draft cut by the lost connection is gone: the stored reply (or a request to ask
      // again, after a restart) comes with the replay.
      this.clearDraft();
      socket.send(JSON.stringify({ type: 'hello', token: this.conv.token, after: this.lastSeq }));
      this.socketOpenedAt = Date.now();
      this.setConnection('open');
      // The socket replays missed messages but not status changes made while we were away.
      if (this.socketEverOpened) this.catchUp();
      this.socketEverOpened = true;
    };
    socket.onmessage = (event) => this.onFrame(event.data);
    socket.onclose = () => this.onSocketClosed(socket);
    socket.onerror = () => { /* onclose follows and handles it */ };
  }

  onSocketClosed(socket) {
    if (this.socket !== socket) return;
    this.socket = null;
    this.typingSentAt = 0;
    this.clearTyping();
    // Only a connection that stayed up counts as success; otherwise keep backing off.
    if (this.socketOpenedAt && Date.now() - this.socketOpenedAt > STABLE_SOCKET_MS) {
      this.reconnectAttempt = 0;
    }
    if (!this.conv) return this.setConnection('closed');
    this.scheduleReconnect();
    // Fetch over HTTP what the socket may have missed; this also notices a revoked token.
    this.catchUp();
  }

  scheduleReconnect() {
    this.setConnection(this.conv ? 'connecting' : 'closed');
    if (!this.conv || this.reconnectTimer) return;
    this.reconnectAttempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, backoffDelay(this.reconnectAttempt));
  }

  async catchUp() {
    if (!this.conv || this.catchingUp) return;
    this.catchingUp = true;
    this.lastCatchUp = Date.now();
    try {
      await this.fetchMessages(this.lastSeq, { live: true });
    } catch (error) {
      if (error.tokenRejected) this.forgetConversation();
    } finally {
      this.catchingUp = false;
    }
  }

  // Back online or visible again: retry now instead of waiting out the backoff.
  revive() {
    for (const wake of [...this.wakers]) wake();
    if (!this.conv) return;
    if (this.socket && !this.socketOpenedAt) {
      // An attempt begun while offline fails and then waits out the backoff: start afresh.
      const stale = this.socket;
      this.socket = null;
      stale.onclose = null;
      stale.close();
    }
    if (!this.socket) {
      this.reconnectAttempt = 0;
      this.connect();
    } else if (Date.now() - this.lastCatchUp > CATCH_UP_EVERY_MS) {
      // A socket that still looks open may have died silently while the device slept.
      this.catchUp();
    }
  }

  disconnect() {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    this.setConnection('closed');
  }

  socketIsOpen() {
    return this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  socketSend(frame) {
    if (this.socketIsOpen()) this.socket.send(JSON.stringify(frame));
  }

  onFrame(raw) {
    let frame;
    try { frame = JSON.parse(raw); } catch (_) { return; }
    if (!frame || typeof frame !== 'object') return;
    if (frame.type === 'message') this.acceptMessage(frame.message, { live: true });
    else if (frame.type === 'draft') this.setDraft(frame.text);
    else if (frame.type === 'typing' && (frame.author === 'ai' || frame.author === 'member')) {
      this.setTyping(frame.author, Boolean(frame.typing), frame.name);
    } else if (frame.type === 'status' && frame.status) this.setStatus(frame.status);
    else if (frame.type === 'form') this.setPendingForm(frame.pending_form);
  }
};
