// Waiting-conversation alerts: a WebAudio beep (no audio files) and a browser notification.

const MUTE_KEY = 'frontdesk.inbox.muted';
let audioCtx = null;
let lastBeep = 0;

function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // private mode or storage disabled: the setting lasts for this page only
  }
}

let muted = storageGet(MUTE_KEY) === '1';

export function isMuted() {
  return muted;
}

export function setMuted(value) {
  muted = Boolean(value);
  storageSet(MUTE_KEY, muted ? '1' : '0');
}

function context() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return null;
  if (!audioCtx) {
    try {
      audioCtx = new Ctx();
    } catch {
      return null;
    }
  }
  if (audioCtx.state === 'suspended') audioCtx.resume().catch(() => {});
  return audioCtx;
}

/** Browsers only allow audio after a user gesture: call this from one. */
export function unlockAudio() {
  context();
}

function tone(ctx, { start, freq, duration, type, volume }) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.setValueAtTime(freq, start);
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(volume, start + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + duration);
  osc.connect(gain).connect(ctx.destination);
  osc.start(start);
  osc.stop(start + duration + 0.02);
}

/** A soft two-note chime; urgent is louder, harsher and repeated. */
export function beep(urgent = false) {
  if (muted) return;
  const nowMs = Date.now();
  if (nowMs - lastBeep < 1200) return; // a burst of events makes one sound
  lastBeep = nowMs;
  const ctx = context();
  if (!ctx) return;
  const t = ctx.currentTime + 0.01;
  if (urgent) {
    for (let i = 0; i < 3; i += 1) {
      tone(ctx, { start: t + i * 0.22, freq: 988, duration: 0.1, type: 'square', volume: 0.22 });
      tone(ctx, { start: t + i * 0.22 + 0.1, freq: 1319, duration: 0.1, type: 'square', volume: 0.22 });
    }
  } else {
    tone(ctx, { start: t, freq: 660, duration: 0.18, type: 'sine', volume: 0.12 });
    tone(ctx, { start: t + 0.14, freq: 880, duration: 0.25, type: 'sine', volume: 0.12 });
  }
}

export function notificationsSupported() {
  return 'Notification' in window;
}

export function notificationPermission() {
  return notificationsSupported() ? Notification.permission : 'unsupported';
}

export async function requestNotifications() {
  if (!notificationsSupported()) return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** Is this live event a conversation that just started waiting for a person? */
export function becameWaiting(event) {
  const conv = event && event.data && event.data.conversation;
  if (!conv || conv.status !== 'waiting') return false;
  if (event.type === 'conversation.created') return true;
  return event.type === 'conversation.updated'
    && Array.isArray(event.data.changes) && event.data.changes.includes('status');
}

export function alertWaiting(conv, onOpen) {
  const urgent = conv.priority === 'urgent';
  beep(urgent);
  if (notificationPermission() !== 'granted') return;
  try {
    const reason = conv.handoff && conv.handoff.reason ? conv.handoff.reason : 'A visitor is waiting for a person.';
    const notification = new Notification(
      `${urgent ? 'Urgent: ' : ''}${conv.agent_name || 'Conversation'} is waiting`,
      { body: reason, tag: `frontdesk-${conv.id}`, requireInteraction: urgent },
    );
    notification.addEventListener('click', () => {
      window.focus();
      onOpen(conv.id);
      notification.close();
    });
  } catch {
    // Some platforms (Android Chrome) only allow notifications from a service worker.
  }
}
