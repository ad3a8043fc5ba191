/**
 * Autograde a folder of submissions: read the manifest, build (or reuse) the
 * answer key, grade submissions in parallel sandboxes, write one result JSON
 * per student. Resumable: a result whose input hash is unchanged is kept
 * unless `force`. One bad submission never stops the batch.
 */
import { resolveIsolation } from './isolation';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { availableParallelism, tmpdir } from 'os';
import { dirname, join, resolve } from 'path';
import { parse } from 'csv-parse/sync';
import { parseTime } from '../gradebook/time';
import { SingleBar, Presets } from 'cli-progress';
import { AnswerKey, GRADER_VERSION, SubmissionResult, buildKey, gradeSubmission, sourceHash } from './grade';
import { Assignment, NotebookError, loadAssignment, readNotebook } from './notebook';
import { ReleaseOptions, assignmentName, releaseNotebook } from './release';
import { courseLibExports, missingImports } from './authoring';
import { DEFAULT_LIMITS, SandboxLimits } from './sandbox';
import { BATCH_INFO, BatchInfo, SCRATCH_PREFIX, Shard, keyDigest, lockResults, sha256File, shardOf, sweepScratch, writeFileJson } from './shards';

export const COURSE_TIME_ZONE = 'America/Los_Angeles';

export interface ManifestRow {
  studentId: string;
  /** File name inside the submissions folder, or null for no submission. */
  file: string | null;
  /** ISO 8601 with offset, or null when the manifest gives none. */
  submittedAt: string | null;
  line: number;
}

/**
 * Parse the manifest CSV (student_id,file,submitted_at). Times carry an
 * offset (or Z) or are read in the course time zone; never file mtimes.
 */
export function readManifest(path: string, timeZone = COURSE_TIME_ZONE): ManifestRow[] {
  const records = parse(readFileSync(path, 'utf8'), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const rows: ManifestRow[] = [];
  const seen = new Set<string>();
  records.forEach((r, i) => {
    const line = i + 2;
    const where = `${path}, line ${line}`;
    for (const col of ['student_id', 'file', 'submitted_at']) {
      if (!(col in r)) throw new Error(`${where}: missing column "${col}" (expected student_id,file,submitted_at)`);
    }
    const studentId = r.student_id;
    if (!/^[A-Za-z0-9_.-]+$/.test(studentId)) throw new Error(`${where}: bad student_id ${JSON.stringify(studentId)}`);
    if (seen.has(studentId)) throw new Error(`${where}: duplicate row for ${studentId}`);
    seen.add(studentId);
    const file = r.file === '' ? null : r.file;
    if (file && (file.includes('/') || file.includes('\\') || file.startsWith('.'))) throw new Error(`${where}: file must be a plain file name, got ${file}`);
    let submittedAt: string | null = null;
    if (r.submitted_at !== '') {
      // The gradebook's reading: an offset is kept; a local time in a skipped or repeated hour is an error.
      const t = parseTime(r.submitted_at, timeZone);
      if ('error' in t) throw new Error(`${where}: bad submitted_at: ${t.error}`);
      submittedAt = t.time.toISO({ suppressMilliseconds: true });
    }
    rows.push({ studentId, file, submittedAt, line });
  });
  return rows;
}

export interface BatchOptions {
  /** Source notebook with the reference solution. */
  source: string;
  submissionsDir: string;
  /** Manifest CSV; default <submissionsDir>/../manifest.csv. */
  manifest?: string;
  /** Results folder; default build/<assignment>/results. */
  outDir?: string;
  /** Answer key cache; default <outDir>/../answer-key.json (kept out of the results folder). */
  keyPath?: string;
  force?: boolean;
  concurrency?: number;
  limits?: Partial<SandboxLimits>;
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  timeZone?: string;
  /** Only these students (default all in the manifest). */
  only?: string[];
  /** Assignment id of the results (default: from the notebook metadata or file name). */
  assignment?: string;
  /** Grade only this part of the class (by student id, see shards.ts). */
  shard?: Shard;
  /**
   * A shipped answer key (built once by `autograde key`): used as is, never rebuilt; refused when it was
   * built from another source notebook, or when `keySha256` is given and the file's sha256 differs.
   */
  keyFile?: string;
  keySha256?: string;
  log?: (line: string) => void;
}

/** How a submission ended, for the summary: ran normally with every test passed, some failed, or not graded normally. */
export type Outcome = 'ok' | 'partial' | 'crash' | 'timeout' | 'no-submission';
export const OUTCOMES: Outcome[] = ['ok', 'partial', 'crash', 'timeout', 'no-submission'];

export function outcomeOf(r: SubmissionResult): Outcome {
  if (r.status !== 'ok') return r.status;
  // Written answers (manual: true) wait for a person; they do not make an autograded run partial.
  return r.tests.every((t) => t.passed || (t as { manual?: boolean }).manual === true) ? 'ok' : 'partial';
}

export interface BatchSummary {
  assignment: string;
  outDir: string;
  graded: string[];
  skipped: string[];
  /** Problems with the inputs, stated explicitly (files not in the manifest, missing files...). */
  warnings: string[];
  results: SubmissionResult[];
  /** Submissions per outcome (ok, partial, crash, timeout, no-submission). */
  counts: Record<Outcome, number>;
  /** Submissions that could not be graded normally (crash, timeout), with the cause. */
  failures: { student_id: string; status: string; cause: string | null }[];
  shard: Shard | null;
  ms: number;
}

/** The per-outcome line printed after a batch: "ok 30, partial 6, crash 1, timeout 1, no submission 2". */
export function outcomeLine(counts: Record<Outcome, number>): string {
  return OUTCOMES.map((o) => `${o === 'no-submission' ? 'no submission' : o} ${counts[o]}`).join(', ');
}

/** Reads a shipped answer key and checks it against the source notebook (and the expected sha256, when given). */
export function loadShippedKey(a: Assignment, keyFile: string, keySha256?: string): AnswerKey {
  if (!existsSync(keyFile)) throw new Error(`${keyFile}: no such answer key (build it once with "autograde key <source> --out ${keyFile}")`);
  if (keySha256 && sha256File(keyFile) !== keySha256.toLowerCase()) {
    throw new Error(`${keyFile}: sha256 ${sha256File(keyFile)} is not the expected ${keySha256} (a different or damaged key was shipped)`);
  }
  let key: AnswerKey;
  try {
    key = JSON.parse(readFileSync(keyFile, 'utf8')) as AnswerKey;
  } catch (e) {
    throw new Error(`${keyFile}: not an answer key (${(e as Error).message})`);
  }
  if (key.sourceHash !== sourceHash(a)) {
    throw new Error(`${keyFile}: built from another version of ${a.name}'s source notebook (source hash ${String(key.sourceHash).slice(0, 16)} ≠ ${sourceHash(a).slice(0, 16)}); rebuild it with "autograde key"`);
  }
  return key;
}

/**
 * `release` with the authoring checks: the import check, then the reference solution run as autograde runs
 * it (every test must pass and meet its stated expect; buildKey names the test that does not). Only then is
 * the student notebook written. The key is kept at `keyPath` (when given) for the batch to reuse.
 */
export async function releaseChecked(options: ReleaseOptions & { keyPath?: string; limits?: Partial<SandboxLimits> }): Promise<{ assignment: Assignment; key: AnswerKey }> {
  const nb = readNotebook(options.source);
  const a = loadAssignment(nb, options.assignment ?? assignmentName(nb, options.source), options.source);
  const problems = missingImports(a, courseLibExports());
  if (problems.length > 0) throw new NotebookError(problems.join('\n'));
  sweepScratch();
  const workRoot = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
  let key: AnswerKey;
  try {
    key = await buildKey(a, join(workRoot, '_reference'), { ...DEFAULT_LIMITS, ...options.limits });
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
  if (options.keyPath) {
    mkdirSync(dirname(resolve(options.keyPath)), { recursive: true });
    writeFileSync(options.keyPath, JSON.stringify(key, null, 1));
  }
  return { assignment: releaseNotebook(options), key };
}

/** Builds the answer key of a source notebook once (for shards on several machines); returns it and its file's sha256. */
export async function buildAnswerKeyFile(source: string, out: string, limits: Partial<SandboxLimits> = {}): Promise<{ key: AnswerKey; sha256: string }> {
  const nb = readNotebook(source);
  const a = loadAssignment(nb, assignmentName(nb, source), source);
  sweepScratch();
  const workRoot = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
  try {
    const key = await buildKey(a, join(workRoot, '_reference'), { ...DEFAULT_LIMITS, ...limits });
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, JSON.stringify(key, null, 1));
    return { key, sha256: sha256File(out) };
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}

function loadOrBuildKey(a: Assignment, keyPath: string, workRoot: string, limits: SandboxLimits, force: boolean): Promise<AnswerKey> {
  const hash = sourceHash(a);
  if (!force && existsSync(keyPath)) {
    try {
      const k = JSON.parse(readFileSync(keyPath, 'utf8')) as AnswerKey;
      if (k.sourceHash === hash) return Promise.resolve(k);
    } catch {
      // rebuild below
    }
  }
  return buildKey(a, join(workRoot, '_reference'), limits).then((k) => {
    mkdirSync(dirname(keyPath), { recursive: true });
    writeFileSync(keyPath, JSON.stringify(k, null, 1));
    return k;
  });
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  renameSync(tmp, path);
}

/** Run `task` over items with at most `n` in flight. */
async function pool<T>(items: T[], n: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await task(item);
    }
  });
  await Promise.all(lanes);
}

export async function autogradeBatch(options: BatchOptions): Promise<BatchSummary> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  // Refuse once, up front, when the sandbox cannot be isolated (rather than one crash result per student).
  resolveIsolation();
  const nb = readNotebook(options.source);
  const a = loadAssignment(nb, options.assignment ?? assignmentName(nb, options.source), options.source);
  const outDir = resolve(options.outDir ?? join('build', a.name, 'results'));
  const keyPath = resolve(options.keyPath ?? join(outDir, '..', 'answer-key.json'));
  const manifestPath = options.manifest ?? join(options.submissionsDir, '..', 'manifest.csv');
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const all = readManifest(manifestPath, options.timeZone);
  const shard = options.shard ?? null;
  const rows = all.filter((r) => (!options.only || options.only.includes(r.studentId)) && (!shard || shardOf(r.studentId, shard.count) === shard.index));
  if (!existsSync(options.submissionsDir)) throw new Error(`${options.submissionsDir}: no such submissions folder`);
  const warnings: string[] = [];
  const listed = new Set(all.map((r) => r.file).filter((f): f is string => f !== null));
  const present = readdirSync(options.submissionsDir).filter((f) => f.endsWith('.ipynb'));
  for (const f of present) {
    if (!listed.has(f) && !options.only) warnings.push(`${f}: in the submissions folder but not in the manifest — not graded (file times are not used as submission times)`);
  }
  // One batch per results folder at a time; scratch folders of killed graders go first.
  const unlock = lockResults(outDir);
  for (const p of sweepScratch()) log(`removed ${p}, left by a grader that was killed`);
  const workRoot = mkdtempSync(join(tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const summary: BatchSummary = { assignment: a.name, outDir, graded: [], skipped: [], warnings, results: [], counts, failures: [], shard, ms: 0 };
  try {
    const key = options.keyFile ? loadShippedKey(a, options.keyFile, options.keySha256) : await loadOrBuildKey(a, keyPath, workRoot, limits, options.force === true);
    const showBar = options.progress ?? process.stderr.isTTY === true;
    const bar = showBar ? new SingleBar({ format: `${a.name} {bar} {value}/{total} | {student}`, hideCursor: true }, Presets.shades_classic) : undefined;
    bar?.start(rows.length, 0, { student: '' });
    await pool(rows, options.concurrency ?? availableParallelism(), async (row) => {
      const resultPath = join(outDir, `${row.studentId}.json`);
      const notes: string[] = [];
      let text: string | undefined;
      if (row.file) {
        const p = join(options.submissionsDir, row.file);
        if (existsSync(p)) text = readFileSync(p, 'utf8');
        else notes.push(`manifest line ${row.line} names ${row.file}, which is not in the submissions folder: graded as no submission`);
      }
      if (text !== undefined && row.submittedAt === null) notes.push(`manifest line ${row.line} gives no submission time; the file time was NOT used`);
      const inputHash = createHash('sha256')
        .update(JSON.stringify([GRADER_VERSION, key.sourceHash, row.studentId, row.file, row.submittedAt, limits]))
        .update(text ?? '\u0000none')
        .digest('hex');
      if (!options.force && existsSync(resultPath)) {
        try {
          const old = JSON.parse(readFileSync(resultPath, 'utf8')) as SubmissionResult;
          if (old.input_hash === inputHash) {
            summary.skipped.push(row.studentId);
            summary.results.push(old);
            bar?.increment({ student: `${row.studentId} (unchanged)` });
            return;
          }
        } catch {
          // regrade
        }
      }
      let result: SubmissionResult;
      try {
        result = await gradeSubmission({
          assignment: a, key, studentId: row.studentId, notebookText: text, file: row.file, submittedAt: row.submittedAt,
          workDir: join(workRoot, row.studentId), limits, inputHash, notes,
        });
      } catch (e) {
        // Grader faults (not student faults) still leave a result naming the problem.
        result = {
          assignment: a.name, student_id: row.studentId, status: 'crash', points: 0, max_points: key.maxPoints,
          submitted_at: row.submittedAt, file: row.file, tests: [], cause: `grader error: ${(e as Error).message}`, cell_errors: [],
          timings: { startup_ms: 0, total_ms: 0, cells: {} }, graded_at: new Date().toISOString(), recovery: notes, input_hash: '', grader: GRADER_VERSION,
        };
      }
      writeJsonAtomic(resultPath, result);
      rmSync(join(workRoot, row.studentId), { recursive: true, force: true });
      summary.graded.push(row.studentId);
      summary.results.push(result);
      bar?.increment({ student: row.studentId });
      if (!bar) log(`${row.studentId}: ${result.status} ${result.points}/${result.max_points}${result.cause ? ` (${result.cause})` : ''}`);
    });
    bar?.stop();
    const info: BatchInfo = {
      assignment: a.name, grader: GRADER_VERSION, source_hash: key.sourceHash, key_sha256: keyDigest(key), limits, shard,
      students: rows.map((r) => r.studentId).sort(),
    };
    writeFileJson(join(outDir, BATCH_INFO), info);
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
    unlock();
  }
  summary.results.sort((x, y) => x.student_id.localeCompare(y.student_id));
  for (const r of summary.results) {
    counts[outcomeOf(r)]++;
    if (r.status === 'crash' || r.status === 'timeout') summary.failures.push({ student_id: r.student_id, status: r.status, cause: r.cause });
  }
  summary.ms = performance.now() - started;
  for (const w of warnings) log(`warning: ${w}`);
  return summary;
}

