/**
 * Run grading cells in a sandbox process (sandbox-worker.js) and collect what
 * it reports. One process per submission; the parent enforces wall-clock
 * limits per cell/test and per submission by killing the process, and a
 * memory cap with --max-old-space-size plus an address-space limit (prlimit).
 */
import { execFile, spawn } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, symlinkSync } from 'fs';
import { delimiter, dirname, join, resolve } from 'path';
import { PlanCell, Report, validateReport } from './protocol';

export interface SandboxLimits {
  /** Wall-clock limit for one cell or one test (ms). */
  cellTimeoutMs: number;
  /** Wall-clock limit for the whole submission, startup included (ms). */
  totalTimeoutMs: number;
  /** V8 old-space cap (MB). */
  heapMb: number;
  /** Address-space cap via prlimit (MB); 0 disables it. */
  addressSpaceMb: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { cellTimeoutMs: 10_000, totalTimeoutMs: 60_000, heapMb: 512, addressSpaceMb: 4096 };

export interface CellOutcome {
  id: string;
  ok: boolean;
  error: string;
  stdout: string;
  ms: number;
}

/** A test result as the sandbox reported it, with the plan cell (test chunk) that declared it: source cell id and hidden flag come from the parent's plan. */
export type TestOutcome = Omit<Extract<Report, { t: 'result' }>, 't'> & { cellId: string; hidden: boolean };

export interface SandboxRun {
  status: 'ok' | 'timeout' | 'crash';
  /** Why the run did not finish, naming the cell or test. */
  cause?: string;
  cells: CellOutcome[];
  tests: TestOutcome[];
  startupMs: number;
  ms: number;
  /** Report lines rejected (bad nonce, bad shape, out of order). */
  rejected: number;
  stderrTail: string;
}

/** Folders the sandbox may read: the tslab/TypeScript/lib code it runs, nothing of the course data. */
export function sandboxReadPaths(): { nodeModules: string; libDir: string; gradingDist: string; worker: string } {
  const tslabPkg = require.resolve('tslab/package.json');
  const nodeModules = dirname(dirname(tslabPkg));
  const libDir = dirname(realpathSync(require.resolve('@course-kit/lib/package.json')));
  const gradingDist = resolve(__dirname, '..', '..', 'dist');
  const worker = join(gradingDist, 'autograde', 'sandbox-worker.js');
  return { nodeModules, libDir, gradingDist, worker };
}

/**
 * The sandbox's home: the working folder of every sandbox process, empty but
 * for a node_modules link (so tslab resolves `@course-kit/lib` as in a
 * notebook folder). Shared by all submissions: nothing of a submission is
 * ever written there (plans arrive over IPC, sandboxes cannot write), and it
 * must be one fixed folder because the startup snapshot's TypeScript
 * converter is created for it. Kept in the project's build/ folder, not in a
 * world-writable temp folder, since its snapshot is trusted code.
 */
export function sandboxHome(): string {
  const root = resolve(sandboxReadPaths().gradingDist, '..', '..');
  return prepareWorkDir(join(root, 'build', '.sandbox', 'home'));
}

/** A startup snapshot and the compiler inputs (with size and mtime) it was built from. */
interface SnapshotFiles {
  blob: string;
  reads: string;
}

interface ReadRecord {
  path: string;
  size: number;
  mtimeMs: number;
}

function snapshotInputsUnchanged(readsPath: string): boolean {
  try {
    const reads = JSON.parse(readFileSync(readsPath, 'utf8')) as ReadRecord[];
    return reads.every((r) => {
      try {
        const st = statSync(r.path);
        return st.size === r.size && st.mtimeMs === r.mtimeMs;
      } catch {
        return r.size === -1;
      }
    });
  } catch {
    return false;
  }
}

/** Snapshots of other keys (~55 MB each) unused for an hour: another batch may still be using a recent one. */
function removeOldSnapshots(dir: string, keep: string): void {
  for (const f of readdirSync(dir)) {
    const m = /^([0-9a-f]{24})\.(blob|reads\.json)$/.exec(f);
    if (!m || m[1] === keep) continue;
    try {
      if (Date.now() - statSync(join(dir, f)).mtimeMs > 3_600_000) rmSync(join(dir, f), { force: true });
    } catch {
      // another batch removed it
    }
  }
}

const building = new Map<string, Promise<SnapshotFiles | undefined>>();
const snapshotProblems: string[] = [];

/**
 * Whether sandboxes start from a V8 startup snapshot (default yes; set
 * COURSE_KIT_SANDBOX_SNAPSHOT=0 to create the converter in every process).
 */
export function sandboxSnapshotEnabled(): boolean {
  return process.env.COURSE_KIT_SANDBOX_SNAPSHOT !== '0';
}

/**
 * Whether the sandbox runs each split test cell as one notebook cell with
 * trusted segment hooks between its chunks (default yes; set
 * COURSE_KIT_SANDBOX_MERGE=0 to run every chunk as a cell of its own, which
 * reports the same results, more slowly).
 */
export function sandboxMergeEnabled(): boolean {
  return process.env.COURSE_KIT_SANDBOX_MERGE !== '0';
}

/** Why the last snapshot build failed, if it did (sandboxes then start without one). */
export function sandboxSnapshotProblems(): readonly string[] {
  return snapshotProblems;
}

/**
 * The startup snapshot for this Node, heap cap and compiled grader, built on
 * first use into build/.sandbox (a few seconds, once) and rebuilt when a file
 * the compiler read (lib/dist declarations, @types, lib.*.d.ts) changed.
 * Resolves to undefined when it cannot be built: sandboxes then create the
 * converter themselves (slower, same results).
 */
export function sandboxSnapshot(heapMb: number): Promise<SnapshotFiles | undefined> {
  const paths = sandboxReadPaths();
  const home = sandboxHome();
  const entry = join(paths.gradingDist, 'autograde', 'sandbox-snapshot.js');
  const executor = join(paths.gradingDist, 'notebook', 'executor.js');
  const key = createHash('sha256')
    .update(JSON.stringify([process.version, process.execPath, process.arch, heapMb, home, paths.nodeModules]))
    .update(readFileSync(entry))
    .update(readFileSync(executor))
    .digest('hex')
    .slice(0, 24);
  const dir = dirname(home);
  const files: SnapshotFiles = { blob: join(dir, `${key}.blob`), reads: join(dir, `${key}.reads.json`) };
  if (existsSync(files.blob) && snapshotInputsUnchanged(files.reads)) return Promise.resolve(files);
  const pending = building.get(key);
  if (pending) return pending;
  const tmp = `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const job = new Promise<SnapshotFiles | undefined>((resolveJob) => {
    execFile(
      process.execPath,
      [`--max-old-space-size=${heapMb}`, '--snapshot-blob', files.blob + tmp, '--build-snapshot', entry, home, files.reads + tmp, paths.gradingDist],
      { cwd: home, timeout: 180_000, maxBuffer: 16 * 1024 * 1024, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' } },
      (err, _stdout, stderr) => {
        building.delete(key);
        if (err || !existsSync(files.blob + tmp)) {
          snapshotProblems.push(`sandbox snapshot build failed: ${err?.message ?? 'no blob written'} ${String(stderr).slice(-2000)}`);
          rmSync(files.blob + tmp, { force: true });
          rmSync(files.reads + tmp, { force: true });
          return resolveJob(undefined);
        }
        renameSync(files.reads + tmp, files.reads);
        renameSync(files.blob + tmp, files.blob);
        removeOldSnapshots(dir, key);
        resolveJob(files);
      },
    );
  });
  building.set(key, job);
  return job;
}

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const PRLIMIT = findOnPath('prlimit');

/**
 * Prepare a work folder: empty but for a node_modules link so that tslab
 * resolves `@course-kit/lib` from it like a notebook folder in the project.
 */
export function prepareWorkDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const abs = realpathSync(dir);
  const link = join(abs, 'node_modules');
  if (!existsSync(link)) symlinkSync(sandboxReadPaths().nodeModules, link, 'dir');
  return abs;
}

function tail(path: string, n = 4000): string {
  try {
    const t = readFileSync(path, 'utf8');
    return t.length > n ? t.slice(-n) : t;
  } catch {
    return '';
  }
}

/**
 * Execute plan cells in a fresh sandbox process. The process runs in the
 * shared, empty sandbox home (see sandboxHome); `workDir` is the parent's
 * scratch folder for this submission (the process's stdout/stderr files),
 * which the sandbox cannot read. Never throws for student misbehaviour.
 */
export async function runInSandbox(cells: PlanCell[], workDir: string, limits: SandboxLimits = DEFAULT_LIMITS): Promise<SandboxRun> {
  const paths = sandboxReadPaths();
  if (!existsSync(paths.worker)) {
    throw new Error(`sandbox worker not built: ${paths.worker} is missing (run npm run build)`);
  }
  const cwd = sandboxHome();
  const snapshot = sandboxSnapshotEnabled() ? await sandboxSnapshot(limits.heapMb) : undefined;
  mkdirSync(workDir, { recursive: true });
  const nodeArgs = [
    '--experimental-permission',
    `--allow-fs-read=${cwd}`,
    `--allow-fs-read=${paths.nodeModules}`,
    `--allow-fs-read=${join(paths.libDir, 'dist')}`,
    `--allow-fs-read=${join(paths.libDir, 'package.json')}`,
    `--allow-fs-read=${paths.gradingDist}`,
    `--max-old-space-size=${limits.heapMb}`,
    '--no-addons',
    '--no-warnings',
    // From the snapshot the worker is loaded by the snapshot's main function.
    ...(snapshot ? ['--snapshot-blob', snapshot.blob] : [paths.worker]),
  ];
  const [cmd, args] =
    PRLIMIT && limits.addressSpaceMb > 0
      ? [PRLIMIT, [`--as=${limits.addressSpaceMb * 1024 * 1024}`, '--', process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  // stdout/stderr go to files: the sandbox gets no pipe-backed stream objects to reuse.
  const outPath = join(workDir, 'sandbox.stdout.txt');
  const errPath = join(workDir, 'sandbox.stderr.txt');
  const outFd = openSync(outPath, 'w');
  const errFd = openSync(errPath, 'w');
  const nonce = randomBytes(24).toString('hex');
  const started = performance.now();

  return await new Promise<SandboxRun>((resolvePromise) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', outFd, errFd, 'ipc', 'pipe'],
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      detached: false,
    });
    closeSync(outFd);
    closeSync(errFd);
    const run: SandboxRun = { status: 'ok', cells: [], tests: [], startupMs: 0, ms: 0, rejected: 0, stderrTail: '' };
    let phase = 'startup';
    let currentCell = -1;
    let currentTest: string | undefined;
    let finished = false;
    let cellTimer: NodeJS.Timeout | undefined;
    const seen = new Set<string>();

    const finish = (status: SandboxRun['status'], cause?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(cellTimer);
      clearTimeout(totalTimer);
      if (status !== 'ok' || cause) {
        run.status = status;
        run.cause = cause;
      }
      child.kill('SIGKILL');
    };
    const armCellTimer = (what: string) => {
      clearTimeout(cellTimer);
      cellTimer = setTimeout(() => finish('timeout', `timeout: ${what} ran longer than ${limits.cellTimeoutMs / 1000} s`), limits.cellTimeoutMs);
    };
    const totalTimer = setTimeout(
      () => finish('timeout', `timeout: the submission ran longer than ${limits.totalTimeoutMs / 1000} s (during ${phase})`),
      limits.totalTimeoutMs,
    );
    // Loading TypeScript takes a few seconds: the startup is covered by the total limit only.

    const onReport = (r: Report) => {
      switch (r.t) {
        case 'ready':
          run.startupMs = r.ms;
          return;
        case 'cell': {
          if (r.i !== currentCell + 1 || r.i >= cells.length) return void run.rejected++;
          currentCell = r.i;
          currentTest = undefined;
          phase = `cell ${cells[r.i].id}`;
          armCellTimer(`cell ${cells[r.i].id}`);
          return;
        }
        case 'cell-end':
          if (r.i !== currentCell || run.cells.length !== currentCell) return void run.rejected++;
          run.cells.push({ id: cells[r.i].id, ok: r.ok, error: r.error, stdout: r.stdout, ms: r.ms });
          return;
        case 'test': {
          const cell = cells[currentCell];
          if (!cell || cell.kind !== 'tests' || run.cells.length !== currentCell + 1 || seen.has(r.id)) return void run.rejected++;
          currentTest = r.id;
          phase = `test ${r.id}`;
          armCellTimer(`test ${r.id}`);
          return;
        }
        case 'result': {
          if (r.id !== currentTest || seen.has(r.id)) return void run.rejected++;
          seen.add(r.id);
          currentTest = undefined;
          const cell = cells[currentCell];
          run.tests.push({
            id: r.id, cellId: cell.id, hidden: cell.hidden === true, ok: r.ok, value: r.value, error: r.error,
            description: r.description, tol: r.tol, rtol: r.rtol, points: r.points, expect: r.expect, ms: r.ms,
          });
          return;
        }
        case 'done':
          if (currentCell !== cells.length - 1) return void run.rejected++;
          finish('ok');
          return;
        case 'fatal':
          finish('crash', `crash: the sandbox failed (${r.error})`);
          return;
      }
    };

    let buffer = '';
    const reports = child.stdio[4] as import('stream').Readable;
    reports.setEncoding('utf8');
    reports.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > 64 * 1024 * 1024) return finish('crash', 'crash: the sandbox sent too much report data');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (finished) continue;
        const r = validateReport(line, nonce);
        if (r) onReport(r);
        else run.rejected++;
      }
    });
    reports.on('error', () => undefined);

    child.on('error', (e) => finish('crash', `crash: could not start the sandbox (${e.message})`));
    child.on('close', (code, signal) => {
      run.ms = performance.now() - started;
      run.stderrTail = tail(errPath);
      if (!finished) {
        const oom = /heap out of memory|Allocation failed|allocation failed|Array buffer allocation failed/i.test(run.stderrTail);
        const where = phase;
        finish('crash', oom
          ? `crash: memory limit exceeded during ${where}`
          : `crash: the sandbox exited (${signal ? `signal ${signal}` : `code ${code}`}) during ${where} before finishing`);
      }
      resolvePromise(run);
    });
    child.send({ nonce, cells, cwd, merge: sandboxMergeEnabled() }, (err) => {
      if (err) finish('crash', `crash: could not send the plan to the sandbox (${err.message})`);
    });
  });
}
