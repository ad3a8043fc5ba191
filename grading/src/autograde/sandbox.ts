/**
 * Run grading cells in a sandbox process (sandbox-worker.js) and collect what
 * it reports. One process per submission, isolated by bubblewrap
 * (isolation.ts) around Node's permission model; the parent enforces
 * wall-clock limits per cell/test and per submission by killing the process,
 * a memory cap with --max-old-space-size plus an address-space limit
 * (prlimit), and a cap on the bytes the process writes to stdout/stderr.
 * The sandbox's cells are converted (type-checked and compiled) by the
 * parent's compile servers (compiler.ts), on the sandbox's request.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'fs';
import { join } from 'path';
import { compilerPool } from './compiler';
import type { IsolationLevel } from './isolation';
import { CompileReply, PlanCell, Report, SandboxStart, validateReport } from './protocol';
import { confinedCommand, sandboxHome, sandboxReadPaths } from './sandbox-env';
import { mergeGroups } from './segments';

export { prepareWorkDir, sandboxHome, sandboxReadPaths } from './sandbox-env';

export interface SandboxLimits {
  /** Wall-clock limit for one cell or one test (ms). */
  cellTimeoutMs: number;
  /**
   * Wall-clock limit for converting one cell in a compile server (ms); the
   * cell's own clock stops meanwhile. Only a pathological program (types
   * that take the checker very long) comes near it.
   */
  compileTimeoutMs: number;
  /** Wall-clock limit for the whole submission, startup included (ms). */
  totalTimeoutMs: number;
  /** V8 old-space cap (MB). */
  heapMb: number;
  /** Address-space cap via prlimit (MB); 0 disables it. */
  addressSpaceMb: number;
  /** Bytes the process may write to stdout and to stderr (MB each; what cells print is captured separately, capped per cell). */
  outputMb: number;
  /** Size of the sandbox's /tmp scratch tmpfs (MB). */
  scratchMb: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  cellTimeoutMs: 10_000, compileTimeoutMs: 20_000, totalTimeoutMs: 60_000, heapMb: 512, addressSpaceMb: 4096, outputMb: 4, scratchMb: 16,
};

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
  /** Report lines rejected (no valid nonce, bad shape): forgery attempts by student code, ignored. */
  rejected: number;
  /**
   * Reports that carry the nonce but break the protocol (a test reported
   * twice, out of order, outside a test cell...): the genuine harness never
   * sends them, so the harness was tampered with. The submission is marked
   * for review and not credited (grade.ts).
   */
  tampered: string[];
  stderrTail: string;
  /** What the process wrote straight to stdout/stderr beyond the cap (a note), or undefined. */
  outputNote?: string;
  /** The isolation the sandbox ran under. */
  isolation: IsolationLevel;
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

/**
 * Where the sandbox's cells are converted: 'remote' (default) by the
 * parent's compile servers, 'local' by tslab's converter created inside
 * each sandbox (COURSE_KIT_SANDBOX_COMPILE=local; slower, same results —
 * the reference the tests and `bench --compare` check 'remote' against).
 */
export function sandboxCompileMode(): 'remote' | 'local' {
  return process.env.COURSE_KIT_SANDBOX_COMPILE === 'local' ? 'local' : 'remote';
}

/** The last `n` bytes of a file, and its size (never reads a whole, possibly huge, file). */
function tail(path: string, n = 4000): { text: string; size: number } {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(n, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return { text: buf.toString('utf8'), size };
    } finally {
      closeSync(fd);
    }
  } catch {
    return { text: '', size: 0 };
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
  const compile = sandboxCompileMode();
  const groups = sandboxMergeEnabled() ? mergeGroups(cells) : [];
  const compiler = compile === 'remote' ? compilerPool() : undefined;
  compiler?.warm();
  mkdirSync(workDir, { recursive: true });
  const outputMb = limits.outputMb ?? DEFAULT_LIMITS.outputMb;
  const { cmd, args, isolation } = confinedCommand(paths.worker, [], {
    home: cwd, heapMb: limits.heapMb, addressSpaceMb: limits.addressSpaceMb, fileSizeMb: outputMb, scratchMb: limits.scratchMb ?? DEFAULT_LIMITS.scratchMb,
  });
  // stdout/stderr go to files capped by RLIMIT_FSIZE (Node ignores SIGXFSZ: a write past the cap fails with EFBIG);
  // the sandbox gets no pipe-backed stream objects to reuse.
  const outPath = join(workDir, 'sandbox.stdout.txt');
  const errPath = join(workDir, 'sandbox.stderr.txt');
  const outFd = openSync(outPath, 'w');
  const errFd = openSync(errPath, 'w');
  const nonce = randomBytes(24).toString('hex');
  const started = performance.now();

  return await new Promise<SandboxRun>((resolvePromise) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', outFd, errFd, 'ipc', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
      detached: false,
    });
    closeSync(outFd);
    closeSync(errFd);
    const run: SandboxRun = { status: 'ok', cells: [], tests: [], startupMs: 0, ms: 0, rejected: 0, tampered: [], stderrTail: '', isolation };
    /** A nonce-bearing report the genuine harness never sends. */
    const tamper = (why: string) => {
      if (run.tampered.length < 20) run.tampered.push(why);
    };
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
          if (r.i !== currentCell + 1 || r.i >= cells.length) return tamper(`cell ${r.i} started out of order`);
          currentCell = r.i;
          currentTest = undefined;
          phase = `cell ${cells[r.i].id}`;
          armCellTimer(`cell ${cells[r.i].id}`);
          return;
        }
        case 'cell-end':
          if (r.i !== currentCell || run.cells.length !== currentCell) return tamper(`cell ${r.i} ended out of order`);
          run.cells.push({ id: cells[r.i].id, ok: r.ok, error: r.error, stdout: r.stdout, ms: r.ms });
          return;
        case 'test': {
          const cell = cells[currentCell];
          if (!cell || cell.kind !== 'tests' || run.cells.length !== currentCell + 1) return tamper(`test ${r.id} reported outside a test cell`);
          if (seen.has(r.id) || currentTest !== undefined) return tamper(`test ${r.id} reported twice`);
          currentTest = r.id;
          phase = `test ${r.id}`;
          armCellTimer(`test ${r.id}`);
          return;
        }
        case 'result': {
          if (r.id !== currentTest || seen.has(r.id)) return tamper(`result of ${r.id} out of order`);
          seen.add(r.id);
          currentTest = undefined;
          const cell = cells[currentCell];
          run.tests.push({
            id: r.id, cellId: cell.id, hidden: cell.hidden === true, ok: r.ok, value: r.value, error: r.error,
            description: r.description, tol: r.tol, rtol: r.rtol, points: r.points, expect: r.expect, ms: r.ms,
          });
          return;
        }
        case 'compile':
          return onCompile(r);
        case 'done':
          if (currentCell !== cells.length - 1 || run.cells.length !== cells.length || currentTest !== undefined) return tamper('done before the last cell ended');
          finish('ok');
          return;
        case 'fatal':
          finish('crash', `crash: the sandbox failed (${r.error})`);
          return;
      }
    };

    // Conversions made for this sandbox: their declarations are what a later request's `prev` refers to.
    const decls: string[] = [];
    let compileRequests = 0;
    let compiling = false;
    const sourceOf = (key: string): string | undefined => {
      const m = /^([cg])(\d{1,6})$/.exec(key);
      if (!m) return undefined;
      const i = Number(m[2]);
      return m[1] === 'c' ? cells[i]?.code : groups.find((g) => g.first === i)?.code;
    };
    const replies = (child.stdio as unknown as import('stream').Duplex[])[5];
    replies.on('error', () => undefined);
    replies.resume(); // whatever the sandbox writes into its end is dropped
    const onCompile = (r: Extract<Report, { t: 'compile' }>) => {
      const src = sourceOf(r.key);
      if (!compiler || src === undefined || r.prev < -1 || r.prev >= decls.length || compiling || currentCell < 0) return tamper(`conversion ${r.key} asked for out of order`);
      // A plan converts each cell about once; many more requests mean a runaway sandbox.
      if (++compileRequests > 4 * cells.length + 8) return finish('crash', 'crash: the sandbox asked for too many conversions');
      compiling = true;
      // The cell's clock stops while its conversion is made elsewhere (a conversion has its own limit).
      clearTimeout(cellTimer);
      const reply = (answer: CompileReply) => {
        compiling = false;
        if (finished) return;
        armCellTimer(phase);
        replies.write(JSON.stringify(answer) + '\n');
      };
      compiler.compile(r.prev < 0 ? '' : decls[r.prev], src, limits.compileTimeoutMs).then(
        (compiled) => {
          decls.push(compiled.converted?.declOutput || '');
          reply({ id: decls.length - 1, compiled });
        },
        (e: unknown) => reply({ error: e instanceof Error ? e.message : String(e) }),
      );
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
      const err = tail(errPath);
      run.stderrTail = err.text;
      const outSize = tail(outPath, 0).size;
      const cap = outputMb * 1024 * 1024;
      if (outputMb > 0 && (outSize >= cap || err.size >= cap)) {
        run.outputNote = `the sandbox wrote more than ${outputMb} MB to ${outSize >= cap ? 'stdout' : 'stderr'}; only the first ${outputMb} MB were kept`;
      }
      if (!finished) {
        const oom = /heap out of memory|Allocation failed|allocation failed|Array buffer allocation failed/i.test(run.stderrTail);
        const where = phase;
        finish('crash', oom
          ? `crash: memory limit exceeded during ${where}`
          : `crash: the sandbox exited (${signal ? `signal ${signal}` : `code ${code}`}) during ${where} before finishing`);
      }
      resolvePromise(run);
    });
    const start: SandboxStart = { nonce, cells, groups, cwd, compile };
    child.send(start, (err) => {
      if (err) finish('crash', `crash: could not send the plan to the sandbox (${err.message})`);
    });
  });
}
