/**
 * Rubric scores in the gradebook: read and written through the gradebook's audited write path
 * (one transaction, an audit row per changed field with who and when). Each score carries a version;
 * a save states the version it was based on, so two tabs (or two graders) editing the same item never
 * overwrite each other silently: the second save gets a ConflictError showing what is stored now, and
 * may then overwrite on purpose (`force`).
 */
import { inTransaction, type Db } from '../gradebook/db';
import type { RubricCriterion } from './items';

export interface GradedCriterion {
  id: string;
  text: string;
  max: number;
  points: number;
}

export interface StoredScore {
  points: number;
  maxPoints: number;
  criteria: GradedCriterion[];
  comment: string;
  grader: string;
  updatedAt: string;
  version: number;
}

/** Bad input from the page (unknown criterion, points outside the rubric, ...): nothing was written. */
export class ScoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScoreInputError';
  }
}

/** The stored score changed since the page loaded it. */
export class ConflictError extends Error {
  constructor(readonly current: StoredScore | null) {
    super(current
      ? `this item was saved by ${current.grader} at ${current.updatedAt} (version ${current.version}) after you opened it`
      : 'this score was deleted after you opened it');
    this.name = 'ConflictError';
  }
}

interface Row {
  points: number; max_points: number; criteria: string; comment: string; grader: string; updated_at: string; version: number;
}

export function loadScore(db: Db, assignment: string, studentId: string, item: string): StoredScore | null {
  const r = db.prepare('SELECT * FROM rubric_scores WHERE assignment = ? AND student_id = ? AND item = ?').get(assignment, studentId, item) as Row | undefined;
  if (!r) return null;
  return { points: r.points, maxPoints: r.max_points, criteria: JSON.parse(r.criteria) as GradedCriterion[], comment: r.comment, grader: r.grader, updatedAt: r.updated_at, version: r.version };
}

/** Scores of one item by student id (for progress and the student list). */
export function scoresOf(db: Db, assignment: string, item: string): Map<string, StoredScore> {
  const rows = db.prepare('SELECT student_id FROM rubric_scores WHERE assignment = ? AND item = ?').all(assignment, item) as { student_id: string }[];
  return new Map(rows.map((r) => [r.student_id, loadScore(db, assignment, r.student_id, item)!]));
}

export interface SaveInput {
  assignment: string;
  item: string;
  studentId: string;
  rubric: RubricCriterion[];
  /** Points per criterion id; a criterion not named scores 0. */
  points: Record<string, unknown>;
  comment: unknown;
  grader: string;
  /** The version the page showed (0: no score yet). */
  baseVersion: unknown;
  /** Overwrite even if someone saved in between (after the page showed the conflict). */
  force?: boolean;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const MAX_COMMENT = 20_000;

/** Checks the page's input against the rubric; returns the graded criteria or throws ScoreInputError. */
export function gradeCriteria(rubric: RubricCriterion[], points: Record<string, unknown>): GradedCriterion[] {
  if (!points || typeof points !== 'object' || Array.isArray(points)) throw new ScoreInputError('points must be an object { criterion id: points }');
  for (const id of Object.keys(points)) {
    if (!rubric.some((c) => c.id === id)) throw new ScoreInputError(`unknown criterion "${id}" (the rubric has ${rubric.map((c) => c.id).join(', ')})`);
  }
  return rubric.map((c) => {
    const v = points[c.id] ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ScoreInputError(`"${c.text}": ${JSON.stringify(v)} is not a number`);
    if (v < 0 || v > c.points) throw new ScoreInputError(`"${c.text}": ${v} is outside 0…${c.points} (the rubric's maximum for this criterion)`);
    return { id: c.id, text: c.text, max: c.points, points: round(v) };
  });
}

/**
 * Validates and saves one rubric score (audited as `manual-page:<grader>`). Throws ScoreInputError for
 * bad input and ConflictError when the stored version is not `baseVersion` (unless `force`).
 */
export function saveScore(db: Db, input: SaveInput): StoredScore {
  const criteria = gradeCriteria(input.rubric, input.points);
  if (typeof input.comment !== 'string') throw new ScoreInputError('comment must be text');
  if (input.comment.length > MAX_COMMENT) throw new ScoreInputError(`comment longer than ${MAX_COMMENT} characters`);
  if (!Number.isInteger(input.baseVersion) || (input.baseVersion as number) < 0) throw new ScoreInputError('baseVersion must be a whole number ≥ 0');
  const known = db.prepare('SELECT 1 FROM students WHERE id = ?').get(input.studentId);
  if (!known) throw new ScoreInputError(`unknown student id "${input.studentId}"`);
  const maxPoints = round(input.rubric.reduce((s, c) => s + c.points, 0));
  const points = round(criteria.reduce((s, c) => s + c.points, 0));
  const source = `manual-page:${input.grader}`;
  const what = `rubric ${input.assignment}/${input.item}/${input.studentId}`;
  return inTransaction(db, source, what, (cs) => {
    const current = loadScore(db, input.assignment, input.studentId, input.item);
    const version = current?.version ?? 0;
    if (version !== input.baseVersion && !input.force) throw new ConflictError(current);
    const saved: StoredScore = {
      points, maxPoints, criteria, comment: input.comment as string, grader: input.grader,
      updatedAt: new Date().toISOString(), version: version + 1,
    };
    const same = current && current.points === points && current.comment === saved.comment && JSON.stringify(current.criteria) === JSON.stringify(criteria);
    if (same) return current; // nothing changed: no new version, no audit rows beyond the summary
    cs.upsert('rubric_scores', {
      assignment: input.assignment, student_id: input.studentId, item: input.item, points, max_points: maxPoints,
      criteria: JSON.stringify(criteria), comment: saved.comment, grader: saved.grader, updated_at: saved.updatedAt, version: saved.version,
    });
    return saved;
  }).result;
}

/** Stores a rubric edited on the page (audited); scores given earlier keep the criteria they were graded with. */
export function saveRubric(db: Db, assignment: string, item: string, criteria: RubricCriterion[], grader: string): number {
  return inTransaction(db, `manual-page:${grader}`, `rubric ${assignment}/${item}`, (cs) =>
    cs.upsert('rubrics', { assignment, item, criteria: JSON.stringify(criteria) }),
  ).changes;
}
