import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'fs';
import { dirname } from 'path';
import { GradebookError } from './errors';

export type Db = Database.Database;

/**
 * The gradebook database. Only raw facts are stored (raw scores, submission
 * times, extensions, the course config); late penalties and final grades are
 * computed when read, so they follow every change of their inputs.
 * Rollback-journal mode (SQLite's default): a failed or killed import leaves
 * the file exactly as it was before the transaction.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, section TEXT NOT NULL,
  team TEXT NOT NULL, login TEXT NOT NULL, canvas_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auto_scores (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, status TEXT NOT NULL, points REAL NOT NULL,
  max_points REAL NOT NULL, graded_at TEXT NOT NULL, tests TEXT NOT NULL,
  PRIMARY KEY (assignment, student_id));
CREATE TABLE IF NOT EXISTS manual_scores (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, points REAL NOT NULL, comment TEXT NOT NULL,
  PRIMARY KEY (assignment, student_id));
CREATE TABLE IF NOT EXISTS team_scores (
  assignment TEXT NOT NULL, team TEXT NOT NULL, points REAL NOT NULL, comment TEXT NOT NULL,
  PRIMARY KEY (assignment, team));
CREATE TABLE IF NOT EXISTS adjustments (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, points REAL NOT NULL, comment TEXT NOT NULL,
  PRIMARY KEY (assignment, student_id));
CREATE TABLE IF NOT EXISTS submissions (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, submitted_at TEXT NOT NULL, as_given TEXT NOT NULL,
  PRIMARY KEY (assignment, student_id));
CREATE TABLE IF NOT EXISTS extensions (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('extension','excused')),
  days REAL, until TEXT, reason TEXT NOT NULL,
  PRIMARY KEY (assignment, student_id));
CREATE TABLE IF NOT EXISTS rubric_scores (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, item TEXT NOT NULL, points REAL NOT NULL,
  max_points REAL NOT NULL, criteria TEXT NOT NULL, comment TEXT NOT NULL, grader TEXT NOT NULL,
  updated_at TEXT NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (assignment, student_id, item));
CREATE TABLE IF NOT EXISTS rubrics (
  assignment TEXT NOT NULL, item TEXT NOT NULL, criteria TEXT NOT NULL, PRIMARY KEY (assignment, item));
CREATE TABLE IF NOT EXISTS overrides (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, points REAL NOT NULL, comment TEXT NOT NULL,
  PRIMARY KEY (assignment, student_id));
CREATE TABLE IF NOT EXISTS resolutions (
  assignment TEXT NOT NULL, student_id TEXT NOT NULL, graded_at TEXT NOT NULL, comment TEXT NOT NULL,
  PRIMARY KEY (assignment, student_id));
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, source TEXT NOT NULL, entity TEXT NOT NULL,
  key TEXT NOT NULL, field TEXT NOT NULL, old TEXT, new TEXT);
`;

export interface OpenOptions {
  /**
   * Create the file when it does not exist (default true for the API). The
   * CLI creates one only in `init`, so a mistyped --db never makes an empty gradebook.
   */
  create?: boolean;
}

/**
 * Opens (creating if needed and allowed) a gradebook database. Opening an existing file does not write to it.
 * Later tables: `overrides` (the instructor's scores, which no import replaces) and `resolutions`
 * (a crashed or timed-out autograde result accepted as graded, for that result only).
 */
export function openGradebook(path: string, opts: OpenOptions = {}): Db {
  const create = opts.create ?? true;
  if (path !== ':memory:' && !create && !existsSync(path)) {
    throw new GradebookError(`${path}: no gradebook there (check --db; "gradebook init --config <course.yaml>" creates one)`);
  }
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { fileMustExist: !create && path !== ':memory:' });
  db.pragma('busy_timeout = 5000');
  let exists: { n: number };
  try {
    exists = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type='table' AND name='audit'").get() as { n: number };
  } catch (e) {
    db.close();
    throw new GradebookError(`${path}: not a gradebook database (${(e as Error).message})`);
  }
  if (exists.n === 0 && !create) {
    db.close();
    throw new GradebookError(`${path}: not a gradebook database ("gradebook init --config <course.yaml>" makes one)`);
  }
  if (exists.n === 0) db.exec(SCHEMA);
  else {
    migrate(db);
    migrateOverrides(db);
  }
  return db;
}

/**
 * Gradebooks written before overrides had their own table kept them in manual_scores, where the next
 * import of the same kind replaced them. Such a row is one whose newest audit row came from the
 * `override` command (source "manual"): it moves to `overrides`, audited. Idempotent: a moved row is
 * no longer in manual_scores, so a gradebook without such rows is not written to.
 */
function migrateOverrides(db: Db): void {
  const rows = db.prepare(`SELECT m.* FROM manual_scores m WHERE (SELECT a.source FROM audit a WHERE a.entity = 'manual_scores'
    AND a.key = m.assignment || '/' || m.student_id ORDER BY a.id DESC LIMIT 1) = 'manual'`).all() as Row[];
  if (rows.length === 0) return;
  inTransaction(db, 'migrate', `${rows.length} override(s) moved to their own table`, (cs) => {
    for (const r of rows) {
      cs.upsert('overrides', r);
      cs.remove('manual_scores', { assignment: r.assignment!, student_id: r.student_id! });
    }
  });
}

/**
 * Tables added after the first release (manual grading: rubric scores and rubrics edited on the page).
 * Additive and idempotent; a gradebook that already has them is not written to.
 */
function migrate(db: Db): void {
  const have = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((r) => r.name));
  const missing = SCHEMA.split(';').filter((stmt) => {
    const m = /CREATE TABLE IF NOT EXISTS (\w+)/.exec(stmt);
    return m && !have.has(m[1]!);
  });
  if (missing.length > 0) db.exec(missing.join(';') + ';');
}

type Value = string | number | null;
export type Row = Record<string, Value>;

/** Tables that imports may change, with their key columns (a fixed whitelist: no SQL from input). */
export const TABLE_KEYS = {
  meta: ['key'],
  students: ['id'],
  auto_scores: ['assignment', 'student_id'],
  manual_scores: ['assignment', 'student_id'],
  team_scores: ['assignment', 'team'],
  adjustments: ['assignment', 'student_id'],
  submissions: ['assignment', 'student_id'],
  extensions: ['assignment', 'student_id'],
  rubric_scores: ['assignment', 'student_id', 'item'],
  rubrics: ['assignment', 'item'],
  overrides: ['assignment', 'student_id'],
  resolutions: ['assignment', 'student_id'],
} as const;
export type Table = keyof typeof TABLE_KEYS;

/**
 * Columns whose change alone is not a change: the submission time as written
 * ("2027-04-18 07:11" in a manifest vs "2027-04-18T07:11:00-07:00" in a
 * result) is kept for the record, but only the instant matters, so importing
 * both sources again and again stays a no-op.
 */
const NOTE_ONLY: Partial<Record<Table, string[]>> = { submissions: ['as_given'] };

/** One writing session: every change it makes gets an audit row with the same time and source. */
export class ChangeSet {
  changes = 0;
  readonly at = new Date().toISOString();
  constructor(readonly db: Db, readonly source: string) {}

  audit(entity: string, key: string, field: string, oldValue: Value, newValue: Value): void {
    this.db
      .prepare('INSERT INTO audit (at, source, entity, key, field, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(this.at, this.source, entity, key, field, oldValue === null ? null : String(oldValue), newValue === null ? null : String(newValue));
  }

  /**
   * Inserts or updates one row by its key; writes one audit row per changed
   * field (or one for a new row). An identical row changes nothing.
   */
  upsert(table: Table, row: Row): number {
    const keys = TABLE_KEYS[table] as readonly string[];
    const where = keys.map((k) => `${k} = ?`).join(' AND ');
    const keyValues = keys.map((k) => row[k]!);
    const keyText = keyValues.join('/');
    const old = this.db.prepare(`SELECT * FROM ${table} WHERE ${where}`).get(...keyValues) as Row | undefined;
    const cols = Object.keys(row);
    if (!old) {
      this.db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((c) => row[c]!));
      this.audit(table, keyText, '*', null, JSON.stringify(row));
      this.changes++;
      return 1;
    }
    const notes = NOTE_ONLY[table] ?? [];
    const changed = cols.filter((c) => !keys.includes(c) && old[c] !== row[c]);
    if (changed.every((c) => notes.includes(c))) return 0;
    this.db.prepare(`UPDATE ${table} SET ${changed.map((c) => `${c} = ?`).join(', ')} WHERE ${where}`).run(...changed.map((c) => row[c]!), ...keyValues);
    for (const c of changed) this.audit(table, keyText, c, old[c] ?? null, row[c] ?? null);
    this.changes++;
    return 1;
  }

  /** Deletes one row by key (audited); returns 1 if a row was removed. */
  remove(table: Table, key: Row): number {
    const keys = TABLE_KEYS[table] as readonly string[];
    const where = keys.map((k) => `${k} = ?`).join(' AND ');
    const keyValues = keys.map((k) => key[k]!);
    const old = this.db.prepare(`SELECT * FROM ${table} WHERE ${where}`).get(...keyValues) as Row | undefined;
    if (!old) return 0;
    this.db.prepare(`DELETE FROM ${table} WHERE ${where}`).run(...keyValues);
    this.audit(table, keyValues.join('/'), '*', JSON.stringify(old), null);
    this.changes++;
    return 1;
  }
}

/**
 * Runs `fn` in one IMMEDIATE transaction with a ChangeSet and closes it with
 * a summary audit row ("N changes", possibly 0). Any error rolls everything back.
 */
export function inTransaction<T>(db: Db, source: string, what: string, fn: (cs: ChangeSet) => T): { result: T; changes: number } {
  const run = db.transaction(() => {
    const cs = new ChangeSet(db, source);
    const result = fn(cs);
    cs.audit('import', what, 'summary', null, `${cs.changes} change${cs.changes === 1 ? '' : 's'}`);
    return { result, changes: cs.changes };
  });
  return run.immediate();
}

/**
 * Test hook: when COURSE_GRADEBOOK_ROW_DELAY_MS is set, imports report each
 * row on stderr and pause after it, so a test can kill the process mid-import.
 */
export function rowHook(index: number): void {
  const ms = Number(process.env.COURSE_GRADEBOOK_ROW_DELAY_MS ?? 0);
  if (ms > 0) {
    process.stderr.write(`gradebook: row ${index}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
}

export function getMeta(db: Db, key: string): string | undefined {
  const r = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return r?.value;
}

export function requireMeta(db: Db, key: string): string {
  const v = getMeta(db, key);
  if (v === undefined) throw new GradebookError(`the gradebook has no ${key}: run "gradebook init --config <course.yaml>" first`);
  return v;
}
