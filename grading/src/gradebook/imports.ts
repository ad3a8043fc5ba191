import { createHash } from 'crypto';
import { readFileSync, readdirSync, statSync } from 'fs';
import { basename, join } from 'path';
import Ajv from 'ajv';
import { parse } from 'csv-parse/sync';
import { AssignmentConfig, CourseConfig } from './config';
import { isFlaggedStatus } from './compute';
import { getConfig } from './course';
import { Db, inTransaction, Row, rowHook } from './db';
import { GradebookError, InputProblem, throwIfProblems } from './errors';
import { parseTime, toStored } from './time';

/** What an import did. `changes` is 0 when the same data was imported again. */
export interface ImportSummary {
  file: string;
  sha256: string;
  rows: number;
  changes: number;
  /**
   * What the instructor should know although nothing was wrong with the file: imported scores that an
   * override hides, adjustments capped at 0…max. Printed by the CLI and the pipeline.
   */
  notes: string[];
}

interface CsvRow {
  line: number;
  values: Record<string, string>;
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Parses a CSV with a header row; each record keeps its line number for messages. */
function readCsv(file: string, required: string[], optional: string[] = [], allowOther = false): { rows: CsvRow[]; buf: Buffer; columns: string[] } {
  const buf = readFileSync(file);
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(buf, { columns: (h: string[]) => h.map((c) => c.trim()), info: true, skip_empty_lines: true, trim: true, bom: true }) as typeof records;
  } catch (e) {
    throw new GradebookError(`${file}: CSV error: ${(e as Error).message}`);
  }
  const header = parse(buf, { to_line: 1, bom: true, trim: true }) as string[][];
  const columns = header[0] ?? [];
  const problems: InputProblem[] = [];
  for (const c of required) if (!columns.includes(c)) problems.push({ file, line: 1, message: `missing column "${c}" (columns: ${required.join(', ')}${optional.length ? `; optional: ${optional.join(', ')}` : ''})` });
  if (!allowOther) for (const c of columns) if (!required.includes(c) && !optional.includes(c)) problems.push({ file, line: 1, message: `unknown column "${c}"` });
  throwIfProblems(problems);
  return { rows: records.map((r) => ({ line: r.info.lines, values: r.record })), buf, columns };
}

function parsePoints(text: string, file: string, line: number, field: string, problems: InputProblem[], range?: [number, number]): number | null {
  if (!/^-?\d+(\.\d+)?$/.test(text)) {
    problems.push({ file, line, field, message: `"${text}" is not a number` });
    return null;
  }
  const v = Number(text);
  if (range && (v < range[0] || v > range[1])) {
    problems.push({ file, line, field, message: `${v} is outside ${range[0]}…${range[1]}` });
    return null;
  }
  return v;
}

function assignmentOf(config: CourseConfig, id: string, file: string): AssignmentConfig {
  const a = config.assignments.find((x) => x.id === id);
  if (!a) throw new GradebookError(`${file}: unknown assignment "${id}" (known: ${config.assignments.map((x) => x.id).join(', ')})`);
  return a;
}

function studentIds(db: Db): Set<string> {
  return new Set((db.prepare('SELECT id FROM students').all() as { id: string }[]).map((r) => r.id));
}

/** Rejects a second row with the same key in one file. */
function checkDuplicate(seen: Map<string, number>, key: string, file: string, line: number, problems: InputProblem[]): void {
  const first = seen.get(key);
  if (first !== undefined) problems.push({ file, line, message: `duplicate row for ${key} (first on line ${first})` });
  else seen.set(key, line);
}

/** Validated rows are written in one transaction; the test hook may pause between rows. */
function writeRows(db: Db, file: string, buf: Buffer, what: string, rows: { table: Parameters<import('./db').ChangeSet['upsert']>[0]; row: Row }[]): ImportSummary {
  const { changes } = inTransaction(db, `import:${basename(file)}`, `${what} ${basename(file)} sha256=${sha256(buf).slice(0, 16)}`, (cs) => {
    rows.forEach((r, i) => {
      cs.upsert(r.table, r.row);
      rowHook(i);
    });
  });
  return { file, sha256: sha256(buf), rows: rows.length, changes, notes: overrideConflicts(db, rows) };
}

/** The highest score an item may reach: max_points plus the extra credit the config allows. */
export function maxScore(a: AssignmentConfig): number {
  return a.max_points + (a.extra_credit ?? 0);
}

/**
 * Imported scores that an override hides: the override stands (only `override … clear` removes it), the
 * import says so. A team score conflicts for every member with an override.
 */
function overrideConflicts(db: Db, rows: { table: string; row: Row }[]): string[] {
  const overrides = new Map((db.prepare('SELECT * FROM overrides').all() as { assignment: string; student_id: string; points: number }[])
    .map((o) => [`${o.assignment}/${o.student_id}`, o.points]));
  if (overrides.size === 0) return [];
  const notes: string[] = [];
  const say = (key: string, imported: string) => {
    const o = overrides.get(key);
    if (o !== undefined) notes.push(`${key}: the override (${o}) stands; the imported ${imported} is kept but not used ("override ${key.replace('/', ' ')} clear" to use it)`);
  };
  for (const { table, row } of rows) {
    if (table === 'manual_scores') say(`${row.assignment}/${row.student_id}`, `score ${row.points}`);
    else if (table === 'auto_scores') say(`${row.assignment}/${row.student_id}`, `autograde score ${row.points}`);
    else if (table === 'adjustments') say(`${row.assignment}/${row.student_id}`, `adjustment ${row.points}`);
    else if (table === 'team_scores') {
      for (const m of db.prepare('SELECT id FROM students WHERE team = ? ORDER BY id').all(row.team) as { id: string }[]) say(`${row.assignment}/${m.id}`, `team score ${row.points}`);
    }
  }
  return notes;
}

/** Team score + adjustment outside 0…max (+ extra credit): the score is capped; say so. */
function capNotes(db: Db, a: AssignmentConfig): string[] {
  const rows = db.prepare(`SELECT s.id, t.points AS team, j.points AS adj FROM students s JOIN team_scores t ON t.team = s.team AND t.assignment = ?
    JOIN adjustments j ON j.student_id = s.id AND j.assignment = t.assignment ORDER BY s.id`).all(a.id) as { id: string; team: number; adj: number }[];
  const notes: string[] = [];
  for (const r of rows) {
    const sum = r.team + r.adj;
    if (sum > maxScore(a) || sum < 0) {
      notes.push(`${a.id}/${r.id}: team score ${r.team} ${r.adj >= 0 ? '+' : '−'} adjustment ${Math.abs(r.adj)} = ${sum} is capped to ${sum < 0 ? 0 : maxScore(a)}` +
        (sum > maxScore(a) && !a.extra_credit ? ' (set extra_credit on the assignment in the course config to allow more)' : ''));
    }
  }
  return notes;
}

/**
 * Imports the roster CSV: student_id,name,email,section,team (+ optional
 * login, canvas_id). Ids are unique; teams hold at most `maxTeamSize` students.
 */
export function importRoster(db: Db, file: string, opts: { maxTeamSize?: number } = {}): ImportSummary {
  const { rows, buf } = readCsv(file, ['student_id', 'name', 'email', 'section', 'team'], ['login', 'canvas_id']);
  const problems: InputProblem[] = [];
  const seen = new Map<string, number>();
  const out: Row[] = [];
  for (const { line, values: v } of rows) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(v.student_id ?? '')) { problems.push({ file, line, field: 'student_id', message: `"${v.student_id}" is not a valid id` }); continue; }
    checkDuplicate(seen, `student ${v.student_id}`, file, line, problems);
    if (!v.name) problems.push({ file, line, field: 'name', message: 'empty name' });
    if (!/^[^@\s]+@[^@\s]+$/.test(v.email ?? '')) problems.push({ file, line, field: 'email', message: `"${v.email}" is not an email address` });
    out.push({ id: v.student_id!, name: v.name!, email: v.email!, section: v.section!, team: v.team!, login: v.login || v.email!.split('@')[0]!, canvas_id: v.canvas_id ?? '' });
  }
  const maxTeam = opts.maxTeamSize ?? 4;
  // Team size counts every student of the gradebook: those already imported (from any roster file) whose
  // row this file does not replace, and this file's rows.
  const inFile = new Set(out.map((r) => r.id as string));
  const members = new Map<string, string[]>();
  const add = (team: string, id: string) => members.set(team, [...(members.get(team) ?? []), id]);
  for (const r of db.prepare("SELECT id, team FROM students WHERE team != ''").all() as { id: string; team: string }[]) if (!inFile.has(r.id)) add(r.team, r.id);
  for (const r of out) if (r.team) add(r.team as string, r.id as string);
  for (const [team, ids] of members) {
    if (ids.length > maxTeam) {
      const before = ids.filter((id) => !inFile.has(id));
      problems.push({ file, field: 'team', message: `team "${team}" would have ${ids.length} members, at most ${maxTeam} allowed` +
        (before.length ? ` (${before.join(', ')} already in the gradebook)` : '') });
    }
  }
  throwIfProblems(problems);
  return writeRows(db, file, buf, 'roster', out.map((row) => ({ table: 'students', row })));
}

/**
 * Imports manual scores for one assignment. The header decides the kind:
 * - student_id,points[,comment][,submitted_at]: per-student scores; on an
 *   autograded assignment these are manual overrides that autograde re-imports never replace;
 * - team,points[,comment]: team scores for a team assignment;
 * - student_id,adjustment[,comment]: individual adjustments (points, may be negative) to a team score.
 */
export function importScores(db: Db, file: string, assignment: string): ImportSummary {
  const config = getConfig(db);
  const a = assignmentOf(config, assignment, file);
  const header = (parse(readFileSync(file), { to_line: 1, bom: true, trim: true }) as string[][])[0] ?? [];
  const problems: InputProblem[] = [];
  const seen = new Map<string, number>();
  const known = studentIds(db);
  const out: { table: 'manual_scores' | 'team_scores' | 'adjustments' | 'submissions'; row: Row }[] = [];
  let buf: Buffer;
  if (header.includes('team')) {
    if (!a.team) throw new GradebookError(`${file}: assignment "${a.id}" is not a team assignment (set team: true in the course config)`);
    const csv = readCsv(file, ['team', 'points'], ['comment']);
    buf = csv.buf;
    const teams = new Set((db.prepare("SELECT DISTINCT team FROM students WHERE team != ''").all() as { team: string }[]).map((r) => r.team));
    for (const { line, values: v } of csv.rows) {
      if (!teams.has(v.team!)) problems.push({ file, line, field: 'team', message: `unknown team "${v.team}" (not in the roster)` });
      checkDuplicate(seen, `team ${v.team}`, file, line, problems);
      const p = parsePoints(v.points!, file, line, 'points', problems, [0, maxScore(a)]);
      if (p !== null) out.push({ table: 'team_scores', row: { assignment: a.id, team: v.team!, points: p, comment: v.comment ?? '' } });
    }
  } else if (header.includes('adjustment')) {
    const csv = readCsv(file, ['student_id', 'adjustment'], ['comment']);
    buf = csv.buf;
    for (const { line, values: v } of csv.rows) {
      if (!known.has(v.student_id!)) problems.push({ file, line, field: 'student_id', message: `unknown student id "${v.student_id}"` });
      checkDuplicate(seen, `student ${v.student_id}`, file, line, problems);
      const p = parsePoints(v.adjustment!, file, line, 'adjustment', problems, [-a.max_points, a.max_points]);
      if (p !== null) out.push({ table: 'adjustments', row: { assignment: a.id, student_id: v.student_id!, points: p, comment: v.comment ?? '' } });
    }
  } else {
    const csv = readCsv(file, ['student_id', 'points'], ['comment', 'submitted_at']);
    buf = csv.buf;
    for (const { line, values: v } of csv.rows) {
      if (!known.has(v.student_id!)) problems.push({ file, line, field: 'student_id', message: `unknown student id "${v.student_id}"` });
      checkDuplicate(seen, `student ${v.student_id}`, file, line, problems);
      const p = parsePoints(v.points!, file, line, 'points', problems, [0, maxScore(a)]);
      if (p !== null) out.push({ table: 'manual_scores', row: { assignment: a.id, student_id: v.student_id!, points: p, comment: v.comment ?? '' } });
      if (v.submitted_at) {
        const t = parseTime(v.submitted_at, config.course.time_zone);
        if ('error' in t) problems.push({ file, line, field: 'submitted_at', message: t.error });
        else out.push({ table: 'submissions', row: { assignment: a.id, student_id: v.student_id!, submitted_at: toStored(t.time), as_given: v.submitted_at } });
      }
    }
  }
  throwIfProblems(problems);
  const summary = writeRows(db, file, buf, `scores ${a.id}`, out);
  if (a.team) summary.notes.push(...capNotes(db, a));
  return summary;
}

/** Imports submission times: student_id,file,submitted_at (with an offset, or local time in the course zone). */
export function importManifest(db: Db, file: string, assignment: string): ImportSummary {
  const config = getConfig(db);
  const a = assignmentOf(config, assignment, file);
  // Other columns (the autograder may add some) are ignored.
  const { rows, buf } = readCsv(file, ['student_id', 'submitted_at'], ['file'], true);
  const problems: InputProblem[] = [];
  const seen = new Map<string, number>();
  const known = studentIds(db);
  const out: Row[] = [];
  for (const { line, values: v } of rows) {
    if (!known.has(v.student_id!)) problems.push({ file, line, field: 'student_id', message: `unknown student id "${v.student_id}"` });
    checkDuplicate(seen, `student ${v.student_id}`, file, line, problems);
    if (!v.submitted_at) continue; // listed but nothing submitted
    const t = parseTime(v.submitted_at, config.course.time_zone);
    if ('error' in t) problems.push({ file, line, field: 'submitted_at', message: t.error });
    else out.push({ assignment: a.id, student_id: v.student_id!, submitted_at: toStored(t.time), as_given: v.submitted_at });
  }
  throwIfProblems(problems);
  return writeRows(db, file, buf, `manifest ${a.id}`, out.map((row) => ({ table: 'submissions', row })));
}

/**
 * Imports extensions and excusals: student_id,assignment,kind[,days][,until][,reason].
 * kind is "extension" (with days — local calendar days added to the due time —
 * or until, a new due time) or "excused" (the item is left out of the grade).
 */
export function importExtensions(db: Db, file: string): ImportSummary {
  const config = getConfig(db);
  const { rows, buf } = readCsv(file, ['student_id', 'assignment', 'kind'], ['days', 'until', 'reason']);
  const problems: InputProblem[] = [];
  const seen = new Map<string, number>();
  const known = studentIds(db);
  const ids = new Set(config.assignments.map((x) => x.id));
  const out: Row[] = [];
  for (const { line, values: v } of rows) {
    if (!known.has(v.student_id!)) problems.push({ file, line, field: 'student_id', message: `unknown student id "${v.student_id}"` });
    if (!ids.has(v.assignment!)) problems.push({ file, line, field: 'assignment', message: `unknown assignment "${v.assignment}"` });
    checkDuplicate(seen, `${v.student_id}/${v.assignment}`, file, line, problems);
    const row: Row = { assignment: v.assignment!, student_id: v.student_id!, kind: v.kind!, days: null, until: null, reason: v.reason ?? '' };
    if (v.kind === 'extension') {
      if (!!v.days === !!v.until) { problems.push({ file, line, message: 'an extension needs exactly one of "days" or "until"' }); continue; }
      if (v.days) {
        const d = parsePoints(v.days, file, line, 'days', problems, [0, 365]);
        row.days = d;
      } else {
        const t = parseTime(v.until!, config.course.time_zone);
        if ('error' in t) problems.push({ file, line, field: 'until', message: t.error });
        else row.until = toStored(t.time);
      }
    } else if (v.kind === 'excused') {
      if (v.days || v.until) problems.push({ file, line, message: 'an excused row takes no days or until' });
    } else {
      problems.push({ file, line, field: 'kind', message: `"${v.kind}" must be "extension" or "excused"` });
    }
    out.push(row);
  }
  throwIfProblems(problems);
  return writeRows(db, file, buf, 'extensions', out.map((row) => ({ table: 'extensions', row })));
}

/** Schema of one autograder result (see the autograder's JSON output). */
export const resultSchema = {
  type: 'object',
  required: ['assignment', 'student_id', 'status', 'points', 'max_points', 'submitted_at', 'tests', 'graded_at'],
  properties: {
    assignment: { type: 'string', minLength: 1 },
    student_id: { type: 'string', minLength: 1 },
    status: { enum: ['ok', 'timeout', 'crash', 'no-submission'] },
    /** Set when the trusted parent rejected the sandbox's reports as tampered: not credited, for the instructor to look at. */
    review: { type: ['string', 'null'] },
    points: { type: 'number', minimum: 0 },
    max_points: { type: 'number', exclusiveMinimum: 0 },
    submitted_at: { type: ['string', 'null'] },
    graded_at: { type: 'string' },
    tests: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'points', 'max_points', 'passed'],
        properties: {
          id: { type: 'string' },
          question: { type: 'string' },
          hidden: { type: 'boolean' },
          points: { type: 'number', minimum: 0 },
          max_points: { type: 'number', minimum: 0 },
          passed: { type: 'boolean' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

const validateResult = new Ajv({ allErrors: true, strict: false }).compile(resultSchema);

/** Lists result files: a folder of *.json (sorted), or one file holding an object or an array. */
function readResults(path: string): { file: string; where: string; value: unknown; buf: Buffer }[] {
  const files = statSync(path).isDirectory()
    ? readdirSync(path).filter((f) => f.endsWith('.json')).sort().map((f) => join(path, f))
    : [path];
  const out: { file: string; where: string; value: unknown; buf: Buffer }[] = [];
  for (const file of files) {
    const buf = readFileSync(file);
    let value: unknown;
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new GradebookError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
    if (Array.isArray(value)) value.forEach((v, i) => out.push({ file, where: `[${i}]`, value: v, buf }));
    else out.push({ file, where: '', value, buf });
  }
  return out;
}

interface AutoResult {
  assignment: string;
  student_id: string;
  status: string;
  review?: string | null;
  points: number;
  max_points: number;
  submitted_at: string | null;
  graded_at: string;
  tests: unknown[];
}

/**
 * Imports autograder results (a folder of per-student JSON files or one JSON
 * array). Only the autograde score and the submission time are written;
 * manual overrides live in their own table and are never touched here.
 */
export function importResults(db: Db, path: string): ImportSummary {
  const config = getConfig(db);
  const known = studentIds(db);
  const items = readResults(path);
  const problems: InputProblem[] = [];
  const seen = new Map<string, number>();
  const out: { table: 'auto_scores' | 'submissions'; row: Row }[] = [];
  items.forEach(({ file, where, value }, index) => {
    if (!validateResult(value)) {
      for (const e of validateResult.errors ?? []) problems.push({ file, field: `${where}${e.instancePath.replace(/\//g, '.')}` || '(top level)', message: e.message ?? 'invalid' });
      return;
    }
    const r = value as unknown as AutoResult;
    const a = config.assignments.find((x) => x.id === r.assignment);
    if (!a) { problems.push({ file, field: `${where}.assignment`, message: `unknown assignment "${r.assignment}"` }); return; }
    if (!known.has(r.student_id)) problems.push({ file, field: `${where}.student_id`, message: `unknown student id "${r.student_id}"` });
    const key = `${r.assignment}/${r.student_id}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push({ file, field: where || undefined, message: `duplicate row for ${key} (also in ${items[first]!.file}${items[first]!.where})` });
    else seen.set(key, index);
    if (r.max_points !== a.max_points) problems.push({ file, field: `${where}.max_points`, message: `${r.max_points} differs from the course config (${a.max_points})` });
    if (r.points > r.max_points) problems.push({ file, field: `${where}.points`, message: `${r.points} is above the maximum ${r.max_points}` });
    out.push({ table: 'auto_scores', row: { assignment: r.assignment, student_id: r.student_id, status: r.review ? 'review' : r.status, points: r.points, max_points: r.max_points, graded_at: r.graded_at, tests: JSON.stringify(r.tests) } });
    if (r.submitted_at !== null) {
      const t = parseTime(r.submitted_at, config.course.time_zone);
      if ('error' in t) problems.push({ file, field: `${where}.submitted_at`, message: t.error });
      else out.push({ table: 'submissions', row: { assignment: r.assignment, student_id: r.student_id, submitted_at: toStored(t.time), as_given: r.submitted_at } });
    }
  });
  throwIfProblems(problems);
  const all = Buffer.concat([...new Set(items.map((i) => i.buf))]);
  return writeRows(db, path, all, 'results', out);
}

/**
 * Sets (points) or clears (null) the instructor's override of one student's score, audited. An override
 * stands over every imported score (autograde, manual CSV, team) until it is cleared; imports that
 * bring a different score say so (ImportSummary.notes).
 */
export function setOverride(db: Db, assignment: string, studentId: string, points: number | null, comment = ''): number {
  const config = getConfig(db);
  const a = assignmentOf(config, assignment, 'override');
  if (!studentIds(db).has(studentId)) throw new GradebookError(`override: unknown student id "${studentId}"`);
  if (points !== null && !(points >= 0 && points <= maxScore(a))) throw new GradebookError(`override: ${points} is outside 0…${maxScore(a)} for ${a.id}${a.extra_credit ? ' (max points + extra credit)' : ''}`);
  return inTransaction(db, 'manual', `override ${a.id}/${studentId}`, (cs) =>
    points === null
      ? cs.remove('overrides', { assignment: a.id, student_id: studentId })
      : cs.upsert('overrides', { assignment: a.id, student_id: studentId, points, comment }),
  ).changes;
}

/**
 * Accepts a crashed or timed-out autograde result as graded (its points stand and its status is no longer
 * flagged). Bound to that result: a new result for the student is flagged again if it fails too.
 */
export function resolveResult(db: Db, assignment: string, studentId: string, comment = ''): number {
  const config = getConfig(db);
  const a = assignmentOf(config, assignment, 'resolve');
  const r = db.prepare('SELECT status, graded_at FROM auto_scores WHERE assignment = ? AND student_id = ?').get(a.id, studentId) as { status: string; graded_at: string } | undefined;
  if (!r) throw new GradebookError(`resolve: no autograde result for ${a.id}/${studentId}`);
  if (!isFlaggedStatus(r.status)) throw new GradebookError(`resolve: the result of ${a.id}/${studentId} is "${r.status}", nothing to resolve (only crash, timeout and review are)`);
  return inTransaction(db, 'manual', `resolve ${a.id}/${studentId}`, (cs) =>
    cs.upsert('resolutions', { assignment: a.id, student_id: studentId, graded_at: r.graded_at, comment }),
  ).changes;
}
