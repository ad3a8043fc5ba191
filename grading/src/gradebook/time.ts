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
 * because luxon would silently move it by an hour. A wall-clock time inside
 * a fall-back overlap (the repeated hour, e.g. 01:30 on 2027-11-07 in Los
 * Angeles) names two instants an hour apart: it is an error too, unless the
 * text carries its offset (-07:00 for the first, -08:00 for the second).
 * Returns an error with a reason when the text is not a valid time.
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
    const other = otherInstant(dt, zone);
    if (other) {
      const [first, second] = dt.toMillis() < other.toMillis() ? [dt, other] : [other, dt];
      return {
        error: `"${text}" is ambiguous in ${zone}: clocks go back and this hour happens twice; write the offset ` +
          `(${first.toFormat('yyyy-MM-dd HH:mm:ssZZ')} for the first, ${second.toFormat('yyyy-MM-dd HH:mm:ssZZ')} for the second)`,
      };
    }
  }
  return { time: dt };
}

/**
 * The other instant with the same wall clock as `dt` in `zone`, if any (a
 * fall-back overlap): the wall clock read with the zone's offset from a few
 * hours before or after, when that gives a different instant showing the same local time.
 */
function otherInstant(dt: DateTime, zone: string): DateTime | undefined {
  const wall = Date.UTC(dt.year, dt.month - 1, dt.day, dt.hour, dt.minute, dt.second, dt.millisecond);
  for (const hours of [-3, 3]) {
    const offset = DateTime.fromMillis(dt.toMillis() + hours * 3_600_000, { zone }).offset;
    if (offset === dt.offset) continue;
    const candidate = DateTime.fromMillis(wall - offset * 60_000, { zone });
    if (candidate.offset === offset && candidate.hour === dt.hour && candidate.minute === dt.minute && candidate.day === dt.day) return candidate;
  }
  return undefined;
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
