import { DateTime } from 'luxon';

/**
 * Late-penalty policy (all of it config). The defaults follow the syllabus:
 * "10% reduction/day for a delayed homework".
 *
 * - `percent` is deducted per started period after the due time
 *   (1 s late → 1 period, 1.3 days late → 2 periods → 20 %).
 * - `of`: the percentage is of the points possible (Canvas's default) or of
 *   the points earned.
 * - `per`: a period is a day or an hour.
 * - `day_length`: 'elapsed' (the default, the syllabus's "per started
 *   24-hour period") counts 24-hour blocks of real time, so daylight-saving
 *   changes cannot add or remove lateness. 'calendar' counts days on the course's wall clock: day n
 *   ends at the due time of the n-th following local day, so a day across a
 *   daylight-saving change lasts 23 or 25 hours and "submitted before 23:59
 *   the next evening" is always one day late.
 * - `grace_minutes`: a submission at most this long after the due time is on
 *   time; after the grace, lateness is still measured from the due time.
 * - `max_late_days`: a submission more than this many days late scores 0
 *   (null: no limit). The score never goes below 0.
 */
export interface LatePolicy {
  percent: number;
  of: 'points-possible' | 'points-earned';
  per: 'day' | 'hour';
  day_length: 'calendar' | 'elapsed';
  grace_minutes: number;
  max_late_days: number | null;
}

export const DEFAULT_LATE_POLICY: LatePolicy = {
  percent: 10,
  of: 'points-possible',
  per: 'day',
  day_length: 'elapsed',
  grace_minutes: 0,
  max_late_days: null,
};

export interface LateInput {
  /** Effective due time (after any extension). */
  due: DateTime;
  /** Submission time, or null if unknown (then no penalty can be computed: treated as on time). */
  submittedAt: DateTime | null;
  raw: number;
  maxPoints: number;
  policy: LatePolicy;
  /** Course zone for calendar days. */
  zone: string;
}

export interface LateResult {
  /** Seconds after the effective due time (0 if on time). */
  lateSeconds: number;
  /** Started periods charged (0 if on time or within grace). */
  periods: number;
  /** True if later than max_late_days: the score is 0. */
  overMax: boolean;
  withinGrace: boolean;
  /** Points deducted: raw − final. */
  penalty: number;
  final: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Rounds away binary noise (e.g. 87.5 × 0.2) to 1e-9 points. */
function clean(v: number): number {
  return Math.round(v * 1e9) / 1e9;
}

/** Number of started calendar days: the smallest n with submitted ≤ due + n local days. */
function calendarDaysLate(due: DateTime, submitted: DateTime, zone: string): number {
  const d = due.setZone(zone);
  const lateMs = submitted.toMillis() - d.toMillis();
  let n = Math.max(1, Math.floor(lateMs / DAY));
  while (n > 1 && d.plus({ days: n - 1 }).toMillis() >= submitted.toMillis()) n--;
  while (d.plus({ days: n }).toMillis() < submitted.toMillis()) n++;
  return n;
}

/**
 * Applies the late policy to one raw score. Pure: the gradebook calls it at
 * read time from the stored raw score, due date and extension, so a change
 * to any of them changes the penalty (nothing is stored as truth).
 *
 * penalty = min(raw, base · percent/100 · periods), base = max points or raw;
 * final = raw − penalty, or 0 beyond max_late_days.
 */
export function computeLatePenalty(input: LateInput): LateResult {
  const { due, submittedAt, raw, maxPoints, policy, zone } = input;
  const onTime: LateResult = { lateSeconds: 0, periods: 0, overMax: false, withinGrace: false, penalty: 0, final: raw };
  if (!submittedAt) return onTime;
  const lateMs = submittedAt.toMillis() - due.toMillis();
  if (lateMs <= 0) return onTime;
  const lateSeconds = lateMs / 1000;
  if (lateMs <= policy.grace_minutes * 60_000) {
    return { ...onTime, lateSeconds, withinGrace: true };
  }
  const calendar = policy.day_length === 'calendar';
  const days = calendar ? calendarDaysLate(due, submittedAt, zone) : Math.ceil(lateMs / DAY);
  const periods = policy.per === 'hour' ? Math.ceil(lateMs / HOUR) : days;
  const overMax = policy.max_late_days !== null && (policy.per === 'hour'
    ? lateMs > policy.max_late_days * DAY
    : days > policy.max_late_days);
  if (overMax) return { lateSeconds, periods, overMax, withinGrace: false, penalty: raw, final: 0 };
  const base = policy.of === 'points-possible' ? maxPoints : raw;
  const fraction = Math.min(1, (policy.percent * periods) / 100);
  const penalty = clean(Math.min(raw, base * fraction));
  return { lateSeconds, periods, overMax, withinGrace: false, penalty, final: clean(raw - penalty) };
}
