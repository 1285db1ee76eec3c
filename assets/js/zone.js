// Wall times in a centre's time zone, whatever zone the browser is set to:
// the calendar, its now-line, "Today" and every time shown follow the centre.

const pad = (n) => String(n).padStart(2, '0');

function partsIn(date, timeZone) {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const parts = {};
  for (const part of format.formatToParts(date)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return parts;
}

/** Today's date (`YYYY-MM-DD`) and the minutes since midnight, in the zone. */
export function nowIn(timeZone) {
  const p = partsIn(new Date(), timeZone);
  return { date: `${p.year}-${pad(p.month)}-${pad(p.day)}`, minutes: p.hour * 60 + p.minute };
}

/** Minutes the zone is ahead of UTC at the instant `ms`. */
function offsetAt(ms, timeZone) {
  const p = partsIn(new Date(ms), timeZone);
  return Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - ms) / 60000);
}

/** RFC 3339 for a wall time in the zone: `2026-03-30T10:00:00+01:00`. */
export function wallToRfc(date, minutes, timeZone) {
  const [y, m, d] = date.split('-').map(Number);
  const asUtc = Date.UTC(y, m - 1, d, Math.floor(minutes / 60), minutes % 60);
  // The offset at the guess, then at the instant it gives: right across a change of offset.
  const offset = offsetAt(asUtc - offsetAt(asUtc, timeZone) * 60000, timeZone);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${date}T${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** An instant shown in the zone, e.g. "2 Dec 2026, 09:30". */
export function formatIn(iso, timeZone, options = { dateStyle: 'medium', timeStyle: 'short' }) {
  return iso ? new Date(iso).toLocaleString(undefined, { timeZone, hourCycle: 'h23', ...options }) : '—';
}

/** "Europe/London" → "London time". */
export const zoneName = (timeZone) => `${(timeZone.split('/').pop() || timeZone).replace(/_/g, ' ')} time`;

/** The wall date and minutes since midnight of an instant, in the zone. */
export function wallIn(iso, timeZone) {
  const p = partsIn(new Date(iso), timeZone);
  return { date: `${p.year}-${pad(p.month)}-${pad(p.day)}`, minutes: p.hour * 60 + p.minute };
}

let zones = null;
let zonesRead = 0;
let clinic;

/** The clinic's zone once read (after sign-in); undefined until then: the browser's. */
export const clinicZone = () => clinic;

/**
 * Each centre's zone by id, and the clinic's (its first active centre's):
 * what the pages outside the calendar show times in. Read at most every
 * half minute, so a centre set up a moment ago counts.
 */
export function centreZones(get) {
  if (!zones || Date.now() - zonesRead > 30000) {
    zonesRead = Date.now();
    zones = get('/centres?page_size=100').then(({ data }) => {
      clinic = (data.find((c) => c.active) || data[0])?.timezone;
      return { of: (id) => data.find((c) => c.id === id)?.timezone || clinic, clinic };
    }).catch(() => ({ of: () => undefined, clinic: undefined }));
  }
  return zones;
}
