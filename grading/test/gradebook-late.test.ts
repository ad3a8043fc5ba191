import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { computeLatePenalty, DEFAULT_LATE_POLICY, LatePolicy } from '../src/gradebook/late';
import { parseTime } from '../src/gradebook/time';

const ZONE = 'America/Los_Angeles';
const t = (s: string) => {
  const r = parseTime(s, ZONE);
  if ('error' in r) throw new Error(r.error);
  return r.time;
};

interface Case {
  name: string;
  due: string;
  submitted: string | null;
  raw?: number;
  policy?: Partial<LatePolicy>;
  periods: number;
  penalty: number;
  final: number;
}

// hw-style item: 100 points possible, raw 80 unless stated; 10 % of points possible per started day.
const cases: Case[] = [
  { name: 'on time (a minute early)', due: '2027-04-16T23:59', submitted: '2027-04-16T23:58', periods: 0, penalty: 0, final: 80 },
  { name: 'exactly at the due time', due: '2027-04-16T23:59', submitted: '2027-04-16T23:59:00', periods: 0, penalty: 0, final: 80 },
  { name: '1 s late', due: '2027-04-16T23:59', submitted: '2027-04-16T23:59:01', periods: 1, penalty: 10, final: 70 },
  { name: 'exactly 24 h late', due: '2027-04-16T23:59', submitted: '2027-04-17T23:59:00', periods: 1, penalty: 10, final: 70 },
  { name: '24 h + 1 s late', due: '2027-04-16T23:59', submitted: '2027-04-17T23:59:01', periods: 2, penalty: 20, final: 60 },
  { name: '1.3 days late → 20 %', due: '2027-04-16T23:59', submitted: '2027-04-18T07:11', periods: 2, penalty: 20, final: 60 },
  { name: 'offset in the submission time is respected (UTC input)', due: '2027-04-16T23:59', submitted: '2027-04-17T06:59:00Z', periods: 0, penalty: 0, final: 80 },
  { name: '9 days late, no maximum: 90 %, never below 0', due: '2027-04-16T23:59', submitted: '2027-04-25T12:00', periods: 9, penalty: 80, final: 0 },
  { name: 'exactly max_late_days (3) late still counts', due: '2027-04-16T23:59', submitted: '2027-04-19T23:59', policy: { max_late_days: 3 }, periods: 3, penalty: 30, final: 50 },
  { name: 'over max_late_days (3) → 0', due: '2027-04-16T23:59', submitted: '2027-04-19T23:59:01', policy: { max_late_days: 3 }, periods: 4, penalty: 80, final: 0 },
  { name: 'within 15 min grace', due: '2027-04-16T23:59', submitted: '2027-04-17T00:14', policy: { grace_minutes: 15 }, periods: 0, penalty: 0, final: 80 },
  { name: 'just past the grace: late from the due time', due: '2027-04-16T23:59', submitted: '2027-04-17T00:14:01', policy: { grace_minutes: 15 }, periods: 1, penalty: 10, final: 70 },
  { name: 'percent of points earned', due: '2027-04-16T23:59', submitted: '2027-04-18T07:11', raw: 75, policy: { of: 'points-earned' }, periods: 2, penalty: 15, final: 60 },
  { name: 'per hour: 2 h 1 min late = 3 hours', due: '2027-04-16T23:59', submitted: '2027-04-17T02:00', policy: { per: 'hour', percent: 1 }, periods: 3, penalty: 3, final: 77 },
  // Spring forward: 2027-03-14 02:00 PST → 03:00 PDT. The Saturday→Sunday local day lasts 23 h.
  { name: 'spring forward, calendar days: next evening 23:59 PDT (23 h elapsed) is 1 day late', due: '2027-03-13T23:59', submitted: '2027-03-14T23:59', policy: { day_length: 'calendar' }, periods: 1, penalty: 10, final: 70 },
  { name: 'spring forward, calendar days: 00:30 PDT next-next day (23.5 h elapsed) is 2 calendar days late', due: '2027-03-13T23:59', submitted: '2027-03-15T00:30', policy: { day_length: 'calendar' }, periods: 2, penalty: 20, final: 60 },
  { name: 'spring forward (default 24-hour periods): 23.5 h elapsed is 1 day', due: '2027-03-13T23:59', submitted: '2027-03-15T00:30', periods: 1, penalty: 10, final: 70 },
  // Fall back: 2027-11-07 02:00 PDT → 01:00 PST. The Saturday→Sunday local day lasts 25 h.
  { name: 'fall back, calendar days: next evening 23:59 PST (25 h elapsed) is 1 day late', due: '2027-11-06T23:59', submitted: '2027-11-07T23:59', policy: { day_length: 'calendar' }, periods: 1, penalty: 10, final: 70 },
  { name: 'fall back (default 24-hour periods): 25 h elapsed is 2 started days', due: '2027-11-06T23:59', submitted: '2027-11-07T23:59', periods: 2, penalty: 20, final: 60 },
  { name: 'fall back: 1 s after the local day ends is 2 days', due: '2027-11-06T23:59', submitted: '2027-11-07T23:59:01', periods: 2, penalty: 20, final: 60 },
  { name: 'ambiguous 01:30 with explicit PST offset after fall back', due: '2027-11-07T00:30', submitted: '2027-11-07T01:30:00-08:00', periods: 1, penalty: 10, final: 70 },
  { name: 'no submission time known → no penalty', due: '2027-04-16T23:59', submitted: null, periods: 0, penalty: 0, final: 80 },
];

describe('late penalty table', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = computeLatePenalty({
        due: t(c.due),
        submittedAt: c.submitted === null ? null : t(c.submitted),
        raw: c.raw ?? 80,
        maxPoints: 100,
        policy: { ...DEFAULT_LATE_POLICY, ...c.policy },
        zone: ZONE,
      });
      expect(r.periods).toBe(c.periods);
      expect(r.penalty).toBeCloseTo(c.penalty, 9);
      expect(r.final).toBeCloseTo(c.final, 9);
      expect(r.final).toBeGreaterThanOrEqual(0);
    });
  }

  it('an extension moves the due time: 2 days after the due date is on time with a 3-day extension', () => {
    const due = t('2027-04-16T23:59');
    const submitted = t('2027-04-18T23:59');
    const base = { submittedAt: submitted, raw: 90, maxPoints: 100, policy: DEFAULT_LATE_POLICY, zone: ZONE };
    expect(computeLatePenalty({ ...base, due }).penalty).toBe(20);
    expect(computeLatePenalty({ ...base, due: due.plus({ days: 3 }) }).penalty).toBe(0);
  });

  it('a 1-day extension over spring forward keeps the wall-clock time (23 h later)', () => {
    const due = t('2027-03-13T23:59');
    const extended = due.setZone(ZONE).plus({ days: 1 });
    expect(extended.toFormat('yyyy-MM-dd HH:mm')).toBe('2027-03-14 23:59');
    expect(extended.diff(due, 'hours').hours).toBe(23);
  });
});

describe('time parsing', () => {
  it('reads times without an offset in the course zone, never as UTC', () => {
    expect(t('2027-04-16T23:59').toUTC().toISO()).toBe('2027-04-17T06:59:00.000Z');
    expect(t('2027-01-16 23:59').toUTC().toISO()).toBe('2027-01-17T07:59:00.000Z');
  });
  it('keeps an explicit offset', () => {
    expect(t('2027-04-16T21:03:00-07:00').toUTC().toISO()).toBe('2027-04-17T04:03:00.000Z');
    expect(t('2027-04-16T21:03:00+02:00').toUTC().toISO()).toBe('2027-04-16T19:03:00.000Z');
  });
  it('rejects a wall-clock time inside the spring-forward gap', () => {
    const r = parseTime('2027-03-14T02:30', ZONE);
    expect('error' in r && r.error).toMatch(/does not exist/);
  });
  it('rejects garbage', () => {
    expect('error' in parseTime('next Tuesday', ZONE)).toBe(true);
    expect('error' in parseTime('2027-02-30T10:00', ZONE)).toBe(true);
  });
  it('spring-forward weekend: Saturday 23:59 to Sunday 23:59 is 23 real hours', () => {
    expect(DateTime.fromISO('2027-03-14T23:59', { zone: ZONE }).diff(t('2027-03-13T23:59'), 'hours').hours).toBe(23);
  });
});
