import { DateTime } from 'luxon';

/**
 * Time handling. Due dates are written as local wall-clock times in the
 * course's IANA zone; submission times carry an offset or are read in the
 * course zone — never silently as UTC.
 */

const LOCAL_FORMATS = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss"];

/** True if `zone` is a valid IANA zone name known to the runtime. */
export function isValidZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

/**
 * Parses a timestamp. A string with an offset (Z, +02:00, -07:00) keeps it;
 * a string without one is a wall-clock time in `zone`. A wall-clock time
 * that does not exist in `zone` (inside a spring-forward gap) is an error,
 * because luxon would silently move it by an hour. In a fall-back overlap
 * the earlier instant (the daylight-time one) is used.
 * Returns null with a reason when the text is not a valid time.
 */
export function parseTime(text: string, zone: string): { time: DateTime } | { error: string } {
  const s = text.trim();
  if (s === '') return { error: 'empty time' };
  let dt = DateTime.fromISO(s, { zone, setZone: true });
  if (!dt.isValid) {
    for (const f of LOCAL_FORMATS) {
      dt = DateTime.fromFormat(s, f, { zone });
      if (dt.isValid) break;
    }
  }
  if (!dt.isValid) {
    return { error: `"${text}" is not a date-time (use ISO 8601, e.g. 2027-04-16T23:59 or 2027-04-16T23:59:00-07:00)` };
  }
  const hasOffset = /(?:[zZ]|[+-]\d\d(?::?\d\d)?)$/.test(s) && /\d[T ]\d/.test(s);
  if (!hasOffset) {
    // Round-trip check: the parsed wall clock must equal the text's wall clock.
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(s);
    if (m && (dt.year !== +m[1]! || dt.month !== +m[2]! || dt.day !== +m[3]! || dt.hour !== +m[4]! || dt.minute !== +m[5]!)) {
      return { error: `"${text}" does not exist in ${zone} (clocks skip this hour at the daylight-saving change)` };
    }
  }
  return { time: dt };
}

/** Parses or throws an Error with the reason (for trusted, already validated text). */
export function mustParseTime(text: string, zone: string): DateTime {
  const r = parseTime(text, zone);
  if ('error' in r) throw new Error(r.error);
  return r.time;
}

/** Canonical stored form: UTC ISO with milliseconds. */
export function toStored(dt: DateTime): string {
  return dt.toUTC().toISO({ suppressMilliseconds: false })!;
}

/** A stored UTC time shown in the course zone. */
export function showLocal(iso: string | null, zone: string): string {
  if (!iso) return '';
  return DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone).toFormat("yyyy-MM-dd HH:mm:ss ZZZZ");
}
