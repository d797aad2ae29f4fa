// Dates and labels.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function toMs(iso) {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? null : t;
}

/** "now", "5m", "3h", "2d", then a short date. */
export function relativeTime(iso, now = Date.now()) {
  const t = toMs(iso);
  if (t === null) return '';
  const diff = Math.max(0, now - t);
  if (diff < MINUTE) return 'now';
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`;
  if (diff < DAY) return `${Math.floor(diff / HOUR)}h`;
  if (diff < 7 * DAY) return `${Math.floor(diff / DAY)}d`;
  return new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** Elapsed time since iso: "45s", "12m", "1h 5m", "2d 3h". */
export function elapsed(iso, now = Date.now()) {
  const t = toMs(iso);
  if (t === null) return '';
  const diff = Math.max(0, now - t);
  if (diff < MINUTE) return `${Math.floor(diff / 1000)}s`;
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`;
  if (diff < DAY) return `${Math.floor(diff / HOUR)}h ${Math.floor((diff % HOUR) / MINUTE)}m`;
  return `${Math.floor(diff / DAY)}d ${Math.floor((diff % DAY) / HOUR)}h`;
}

/** "in 3 days", "in 5 hours" for a future time. */
export function timeUntil(iso, now = Date.now()) {
  const t = toMs(iso);
  if (t === null) return '';
  const diff = t - now;
  if (diff <= 0) return 'now';
  if (diff >= 2 * DAY) return `in ${Math.round(diff / DAY)} days`;
  const hours = Math.max(1, Math.round(diff / HOUR));
  return `in ${hours} hour${hours === 1 ? '' : 's'}`;
}

export function fullTime(iso) {
  const t = toMs(iso);
  return t === null ? '' : new Date(t).toLocaleString();
}

export function clockTime(iso) {
  const t = toMs(iso);
  if (t === null) return '';
  const d = new Date(t);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
export const ROLES = ['owner', 'admin', 'agent'];

export function isManager(member) {
  return Boolean(member) && (member.role === 'owner' || member.role === 'admin');
}

/** One line of preview text for the list. */
export function preview(lastMessage) {
  if (!lastMessage || typeof lastMessage.text !== 'string') return 'No messages yet';
  const who = { visitor: '', ai: 'AI: ', member: 'Team: ', system: '' }[lastMessage.author] ?? '';
  const prefix = lastMessage.private ? 'Note: ' : who;
  return prefix + lastMessage.text.replace(/\s+/g, ' ').trim();
}
