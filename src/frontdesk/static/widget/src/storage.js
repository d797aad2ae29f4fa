// The conversation this browser is in (id, visitor token, last seq), kept in localStorage.

// localStorage can throw (disabled storage, sandboxed frames, quota); chat still works without it.
const storage = {
  key: `frontdesk:${publicKey}`,
  load() {
    try {
      const data = JSON.parse(localStorage.getItem(this.key) || 'null');
      if (data && typeof data.id === 'string' && typeof data.visitor_token === 'string') return data;
    } catch (_) { /* unavailable or corrupt */ }
    return null;
  },
  save(conv) {
    try {
      localStorage.setItem(this.key, JSON.stringify({
        id: conv.id, visitor_token: conv.token, last_seq: conv.lastSeq,
      }));
    } catch (_) { /* unavailable */ }
  },
  clear() {
    try { localStorage.removeItem(this.key); } catch (_) { /* unavailable */ }
  },
};
