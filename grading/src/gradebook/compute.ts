import { DateTime } from 'luxon';
import { AssignmentConfig, CourseConfig, LetterCut, latePolicyFor } from './config';
import { getConfig } from './course';
import { Db } from './db';
import { LateResult, computeLatePenalty } from './late';
import { mustParseTime } from './time';

/**
 * Final grades, computed at read time from the stored raw facts.
 *
 *   item %       = final points / max points · 100, final = raw − late penalty
 *   component %  = mean of its counted, non-excused item percentages
 *   final %      = Σ_c w_c · component_c / Σ_c w_c over components that have
 *                  at least one non-excused item (an excused whole component
 *                  re-weights the others)
 *   letter       = highest cut with round_half_up(final %, decimals) ≥ min
 */

export type ItemStatus = 'graded' | 'missing' | 'excused';

/** A manually graded part of an item (a written answer, a seminar summary), scored on the grading page. */
export interface RubricScore {
  item: string;
  points: number;
  maxPoints: number;
  /** Each criterion as graded (its text and maximum copied at grading time, so the record stands alone). */
  criteria: { id: string; text: string; max: number; points: number }[];
  comment: string;
  grader: string;
  updatedAt: string;
}

export interface ItemGrade {
  assignment: string;
  title: string;
  component: string;
  counts: boolean;
  status: ItemStatus;
  /** Where the raw score came from (rubric: only manually graded parts, e.g. a seminar summary). */
  source: 'manual' | 'autograde' | 'team' | 'rubric' | 'override' | null;
  autogradeStatus: string | null;
  /** Raw points before the late penalty (team score + adjustment for team items); null if missing/excused. */
  raw: number | null;
  teamPoints: number | null;
  adjustment: number;
  maxPoints: number;
  /** Due time from the config and the effective one after an extension (UTC ISO). */
  due: string;
  effectiveDue: string;
  extension: string | null;
  submittedAt: string | null;
  late: LateResult | null;
  penalty: number;
  /** Points after the late penalty (0 for missing, null for excused). */
  final: number | null;
  pct: number | null;
  comment: string;
  /** Rubric scores and comments from the manual grading page (part of raw unless a manual override replaces it). */
  rubric: RubricScore[];
  /**
   * An autograde result that could not be graded normally (crash, timeout) and that the instructor has
   * not resolved (override, or `resolve` to accept its points): shown everywhere until then.
   */
  flag: FlaggedStatus | null;
  /** Hours after the effective due time (null: on time or no submission time). */
  lateHours: number | null;
  /** Warnings about this item (e.g. a score capped at its maximum). */
  notes: string[];
}

/**
 * Autograde outcomes the instructor must look at: a crash, a timeout, or a result marked for
 * review (the sandbox's reports were tampered with, nothing credited).
 */
export type FlaggedStatus = 'crash' | 'timeout' | 'review';

export function isFlaggedStatus(status: string): status is FlaggedStatus {
  return status === 'crash' || status === 'timeout' || status === 'review';
}

/**
 * One word for an item, the same in grades.csv, the sheets and `show`: excused, missing, crash or timeout
 * (an unresolved autograde failure), late, or graded.
 */
export function itemStatusLabel(i: ItemGrade): string {
  if (i.status === 'excused' || i.status === 'missing') return i.status;
  if (i.flag) return i.flag;
  return i.late && i.late.periods > 0 ? 'late' : 'graded';
}

export interface ComponentGrade {
  id: string;
  title: string;
  weight: number;
  /** Mean item percentage, or null if every item is excused. */
  pct: number | null;
  /** Weight after re-weighting (percent of the final grade actually used). */
  effectiveWeight: number;
}

export interface StudentGrade {
  studentId: string;
  name: string;
  email: string;
  section: string;
  team: string;
  login: string;
  canvasId: string;
  items: ItemGrade[];
  components: ComponentGrade[];
  /** Unrounded weighted percentage, or null if everything is excused. */
  finalPct: number | null;
  /** Rounded per the config's rounding rule. */
  finalRounded: number | null;
  letter: string;
}

/**
 * Rounds half up at `decimals`, in decimal: the value is first cleaned of
 * binary noise by rounding to 10 decimals (so 89.995 computed as
 * 89.99499999999999 counts as 89.995), then 5 in the next digit rounds up.
 * Hence 89.995 → 90.00 (A−) and 89.9949 → 89.99 (B+).
 */
export function roundHalfUp(x: number, decimals: number): number {
  const neg = x < 0;
  const s = Math.abs(x).toFixed(10);
  const scaled = BigInt(s.replace('.', ''));
  const div = 10n ** BigInt(10 - decimals);
  let q = scaled / div;
  if ((scaled % div) * 2n >= div) q += 1n;
  const v = Number(q) / 10 ** decimals;
  return neg ? -v : v;
}

/** The letter for a final percentage: round per the rule, then the highest inclusive cut-off reached. */
export function letterFor(pct: number, letters: LetterCut[], decimals: number): string {
  const r = roundHalfUp(pct, decimals);
  for (const cut of letters) if (r >= cut.min) return cut.letter;
  return letters[letters.length - 1]!.letter;
}

interface Facts {
  students: { id: string; name: string; email: string; section: string; team: string; login: string; canvas_id: string }[];
  auto: Map<string, { status: string; points: number; gradedAt: string; manual: string[] }>;
  overrides: Map<string, { points: number; comment: string }>;
  resolved: Map<string, string>;
  manual: Map<string, { points: number; comment: string }>;
  team: Map<string, { points: number; comment: string }>;
  adjust: Map<string, { points: number; comment: string }>;
  subs: Map<string, string>;
  ext: Map<string, { kind: string; days: number | null; until: string | null; reason: string }>;
  rubric: Map<string, RubricScore[]>;
}

function rubricScores(db: Db): Map<string, RubricScore[]> {
  const out = new Map<string, RubricScore[]>();
  for (const r of db.prepare('SELECT * FROM rubric_scores ORDER BY item').all() as any[]) {
    const k = `${r.assignment}/${r.student_id}`;
    const list = out.get(k) ?? [];
    list.push({ item: r.item, points: r.points, maxPoints: r.max_points, criteria: JSON.parse(r.criteria), comment: r.comment, grader: r.grader, updatedAt: r.updated_at });
    out.set(k, list);
  }
  return out;
}

/** Ids of the written answers (manual tests) an autograde result lists. */
function manualIds(tests: string): string[] {
  try {
    return (JSON.parse(tests) as { id: string; manual?: boolean }[]).filter((t) => t.manual === true).map((t) => t.id);
  } catch {
    return [];
  }
}

function loadFacts(db: Db): Facts {
  const byKey = <T extends object>(sql: string, key: (r: any) => string, val: (r: any) => T) =>
    new Map((db.prepare(sql).all() as any[]).map((r) => [key(r), val(r)] as const));
  const sk = (r: { assignment: string; student_id: string }) => `${r.assignment}/${r.student_id}`;
  return {
    students: db.prepare('SELECT * FROM students ORDER BY id').all() as Facts['students'],
    auto: byKey('SELECT * FROM auto_scores', sk, (r) => ({ status: r.status, points: r.points, gradedAt: r.graded_at, manual: manualIds(r.tests) })),
    overrides: byKey('SELECT * FROM overrides', sk, (r) => ({ points: r.points, comment: r.comment })),
    resolved: new Map((db.prepare('SELECT * FROM resolutions').all() as any[]).map((r) => [sk(r), r.graded_at as string])),
    manual: byKey('SELECT * FROM manual_scores', sk, (r) => ({ points: r.points, comment: r.comment })),
    team: byKey('SELECT * FROM team_scores', (r) => `${r.assignment}/${r.team}`, (r) => ({ points: r.points, comment: r.comment })),
    adjust: byKey('SELECT * FROM adjustments', sk, (r) => ({ points: r.points, comment: r.comment })),
    subs: new Map((db.prepare('SELECT * FROM submissions').all() as any[]).map((r) => [sk(r), r.submitted_at as string])),
    ext: byKey('SELECT * FROM extensions', sk, (r) => ({ kind: r.kind, days: r.days, until: r.until, reason: r.reason })),
    rubric: rubricScores(db),
  };
}

function itemGrade(config: CourseConfig, a: AssignmentConfig, s: Facts['students'][number], f: Facts): ItemGrade {
  const zone = config.course.time_zone;
  const k = `${a.id}/${s.id}`;
  const due = mustParseTime(a.due, zone);
  const ext = f.ext.get(k);
  let effective = due;
  let extension: string | null = null;
  if (ext?.kind === 'extension') {
    // Extension days are local calendar days: the same wall-clock time n days later, across DST.
    effective = ext.until ? DateTime.fromISO(ext.until, { zone: 'utc' }).setZone(zone) : due.setZone(zone).plus({ days: ext.days ?? 0 });
    extension = ext.until ? `until ${effective.toFormat('yyyy-MM-dd HH:mm ZZZZ')}` : `${ext.days} day${ext.days === 1 ? '' : 's'}`;
    if (ext.reason) extension += ` (${ext.reason})`;
  }
  const submittedAt = f.subs.get(k) ?? null;
  const base: ItemGrade = {
    assignment: a.id, title: a.title, component: a.component, counts: a.counts, status: 'missing', source: null,
    autogradeStatus: f.auto.get(k)?.status ?? null, raw: null, teamPoints: null, adjustment: 0, maxPoints: a.max_points,
    due: due.toUTC().toISO()!, effectiveDue: effective.toUTC().toISO()!, extension, submittedAt, late: null, penalty: 0,
    final: 0, pct: 0, comment: '', rubric: f.rubric.get(k) ?? [], flag: null, lateHours: null, notes: [],
  };
  if (ext?.kind === 'excused') return { ...base, status: 'excused', final: null, pct: null, comment: ext.reason };

  const manual = f.manual.get(k);
  const auto = f.auto.get(k);
  const override = f.overrides.get(k);
  const cap = a.max_points + (a.extra_credit ?? 0);
  let raw: number | null = null;
  if (override) {
    // The instructor's override stands over every imported score until it is cleared.
    raw = override.points;
    base.source = 'override';
    base.comment = override.comment;
  } else if (manual) {
    raw = manual.points;
    base.source = 'manual';
    base.comment = manual.comment;
  } else if (a.team && s.team && f.team.has(`${a.id}/${s.team}`)) {
    const t = f.team.get(`${a.id}/${s.team}`)!;
    const adj = f.adjust.get(k);
    base.teamPoints = t.points;
    base.adjustment = adj?.points ?? 0;
    // The individual adjustment moves the team score; the result stays within 0…max (+ extra credit), with a note.
    const sum = t.points + base.adjustment;
    raw = Math.min(cap, Math.max(0, sum));
    if (raw !== sum) base.notes.push(`team ${t.points} ${base.adjustment >= 0 ? '+' : '−'} adjustment ${Math.abs(base.adjustment)} = ${sum}, capped to ${raw}`);
    base.source = 'team';
    base.comment = [t.comment, adj?.comment].filter(Boolean).join('; ');
  } else if (auto && auto.status !== 'no-submission') {
    // Written answers are 0 in the autograde result ("needs manual grading"); their rubric scores add here.
    raw = Math.min(a.max_points, auto.points + base.rubric.reduce((sum, r) => sum + r.points, 0));
    base.source = 'autograde';
    for (const id of auto.manual) {
      if (!base.rubric.some((r) => r.item === id)) base.notes.push(`written answer ${id} not graded yet (counts 0; npm run grade -- serve)`);
    }
    if (isFlaggedStatus(auto.status) && f.resolved.get(k) !== auto.gradedAt) base.flag = auto.status;
  } else if (base.rubric.length > 0) {
    raw = Math.min(a.max_points, base.rubric.reduce((sum, r) => sum + r.points, 0));
    base.source = 'rubric';
  }
  if (raw === null) {
    // Missing: scores 0. An autograde crash with nothing else is still a crash to resolve, not "missing".
    if (auto && isFlaggedStatus(auto.status) && f.resolved.get(k) !== auto.gradedAt) base.flag = auto.status;
    return base;
  }

  const policy = latePolicyFor(config, a);
  let final = raw;
  let late: LateResult | null = null;
  if (policy && submittedAt) {
    late = computeLatePenalty({ due: effective, submittedAt: DateTime.fromISO(submittedAt, { zone: 'utc' }), raw, maxPoints: a.max_points, policy, zone });
    final = late.final;
  }
  const lateMs = submittedAt ? DateTime.fromISO(submittedAt, { zone: 'utc' }).toMillis() - effective.toMillis() : 0;
  const lateHours = lateMs > 0 ? lateMs / 3_600_000 : null;
  return { ...base, status: 'graded', raw, late, penalty: late?.penalty ?? 0, final, pct: (final / a.max_points) * 100, lateHours };
}

/** Grades one student from the facts. */
function studentGrade(config: CourseConfig, s: Facts['students'][number], f: Facts): StudentGrade {
  const items = config.assignments.map((a) => itemGrade(config, a, s, f));
  const comps: ComponentGrade[] = config.components.map((c) => {
    const counted = items.filter((i) => i.component === c.id && i.counts && i.status !== 'excused');
    const pct = counted.length === 0 ? null : counted.reduce((sum, i) => sum + i.pct!, 0) / counted.length;
    return { id: c.id, title: c.title, weight: c.weight, pct, effectiveWeight: 0 };
  });
  const used = comps.filter((c) => c.pct !== null);
  const wsum = used.reduce((sum, c) => sum + c.weight, 0);
  for (const c of used) c.effectiveWeight = wsum > 0 ? (c.weight / wsum) * 100 : 0;
  const finalPct = wsum > 0 ? used.reduce((sum, c) => sum + c.weight * c.pct!, 0) / wsum : null;
  const finalRounded = finalPct === null ? null : roundHalfUp(finalPct, config.rounding.decimals);
  return {
    studentId: s.id, name: s.name, email: s.email, section: s.section, team: s.team, login: s.login, canvasId: s.canvas_id,
    items, components: comps, finalPct, finalRounded,
    letter: finalPct === null ? '' : letterFor(finalPct, config.letters, config.rounding.decimals),
  };
}

/** Final grades of every student on the roster (sorted by id), computed now from the stored facts. */
export function computeFinalGrades(db: Db): StudentGrade[] {
  const config = getConfig(db);
  const facts = loadFacts(db);
  return facts.students.map((s) => studentGrade(config, s, facts));
}

/** One student's grade, or an error naming the unknown id. */
export function gradeOf(db: Db, studentId: string): StudentGrade {
  const g = computeFinalGrades(db).find((x) => x.studentId === studentId);
  if (!g) throw new Error(`unknown student id "${studentId}"`);
  return g;
}
