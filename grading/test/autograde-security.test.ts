/**
 * Adversarial submissions, one class of attack each (issue 11), graded in ONE
 * batch with clean control submissions that must keep their exact scores.
 *
 * The assignment is a small one of its own (not hw1), so that the numbers
 * below follow from it alone. The student baseline used by every payload
 * ("weak") earns 15 of 20: its isSorted always answers false and sorts its
 * input in place, so q1.sorted and the hidden no-mutation test fail. Each
 * payload tries to turn that into 20 (or to harm the grader, a sibling or
 * the network); with the defences it stays at 15.
 * Without bubblewrap (COURSE_KIT_ISOLATION=permission-only) the filesystem,
 * process and resource payloads succeed (the network payload is stopped in
 * the process too; bubblewrap's network namespace on its own is checked in
 * autograde-isolation.test.ts); with the harness before the hardened realm
 * the same-realm payloads did. What each payload did on the code before the
 * fix is recorded in SECURITY-CHECKS.md.
 */
import { spawn, ChildProcess } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { createServer, Server } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInSandbox } from '../src/autograde/sandbox';
import { BatchSummary, autogradeBatch } from '../src/autograde/batch';
import { feedbackHtml } from '../src/autograde/feedback';
import { SubmissionResult } from '../src/autograde/grade';
import { loadAssignment, Notebook, NotebookCell, toSourceLines } from '../src/autograde/notebook';
import { releaseAssignment } from '../src/autograde/release';
import { ROOT, ensureBuilt } from './autograde-helpers';

const dir = mkdtempSync(join(tmpdir(), 'ck-security-'));
const marker = `ck-victim-${process.pid}-${Date.now()}`;

const code = (kind: string, id: string, source: string, extra: Record<string, unknown> = {}): NotebookCell => ({
  cell_type: 'code', metadata: { course_kit: { id, kind, ...extra } }, source: toSourceLines(source), outputs: [], execution_count: null,
});

/** The instructor's source notebook: two questions, visible and hidden tests, guessable booleans among them. */
const SOURCE: Notebook = {
  nbformat: 4, nbformat_minor: 5, metadata: {},
  cells: [
    code('setup', 'setup', "import { test, check, hiddenTests } from '@course-kit/lib';"),
    code('solution', 'q1-solution', 'function isSorted(a: number[]): boolean {\n  // BEGIN SOLUTION\n  return a.every((v, i) => i === 0 || a[i - 1] <= v);\n  // END SOLUTION\n}', { question: 'q1' }),
    code('tests', 'q1-tests', [
      "test('q1.sorted', 'a sorted array', () => isSorted([1, 2, 3]), { expect: true });",
      "test('q1.unsorted', 'an unsorted array', () => isSorted([3, 1]), { expect: false });",
      '// BEGIN HIDDEN TESTS',
      "test('q1.hidden-unsorted', 'unsorted in the middle', () => isSorted([1, 3, 2]));",
      "test('q1.no-mutation', 'the input is not changed', () => { const a = [3, 1, 2]; const before = JSON.stringify(a); isSorted(a); return JSON.stringify(a) === before; });",
      '// END HIDDEN TESTS',
    ].join('\n'), { question: 'q1', points: 10 }),
    code('solution', 'q2-solution', 'function double(x: number): number {\n  // BEGIN SOLUTION\n  return 2 * x;\n  // END SOLUTION\n}', { question: 'q2' }),
    // q2.big's value is computed at the top level of the cell (as fixtures often are), calling student code there.
    code('tests', 'q2-tests', "test('q2.two', 'double(2)', () => double(2), { expect: 4 });\n// BEGIN HIDDEN TESTS\nconst big = double(21);\ntest('q2.big', 'double(21)', () => big);\n// END HIDDEN TESTS", { question: 'q2', points: 10 }),
  ],
};

const REFERENCE_Q1 = 'function isSorted(a: number[]): boolean {\n  return a.every((v, i) => i === 0 || a[i - 1] <= v);\n}';
const WEAK_Q1 = 'function isSorted(a: number[]): boolean {\n  a.sort((x, y) => x - y);\n  return false;\n}';
const REFERENCE_Q2 = 'function double(x: number): number {\n  return 2 * x;\n}';

/** The released notebook with these solution cells typed in. */
function submission(q1: string, q2 = REFERENCE_Q2, edit?: (nb: Notebook) => void): Notebook {
  const nb = releaseAssignment(loadAssignment(structuredClone(SOURCE), 'sec', 'sec.source.ipynb'));
  for (const cell of nb.cells) {
    const id = (cell.metadata.course_kit as { id?: string } | undefined)?.id;
    if (id === 'q1-solution') cell.source = toSourceLines(q1);
    if (id === 'q2-solution') cell.source = toSourceLines(q2);
  }
  edit?.(nb);
  return nb;
}

/** A path that the permission model reads as inside the sandbox home but the kernel resolves from `/` (through two symlinks). */
const ESCAPE = "process.cwd() + '/node_modules/@course-kit/grading/../../../../'";

let summary: BatchSummary;
let server: Server;
let connections = 0;
let port = 0;
let victim: ChildProcess;
let signals = 0;
const onSignal = () => signals++;
const result = (id: string): SubmissionResult => summary.results.find((r) => r.student_id === id)!;

beforeAll(async () => {
  ensureBuilt();
  server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  port = (server.address() as { port: number }).port;
  // A process of "another student": its command line carries the marker the process payload hunts for.
  victim = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', marker], { stdio: 'ignore' });
  process.on('SIGUSR2', onSignal);

  const cases: Record<string, Notebook> = {
    // Controls: the reference (20) and a partly right one (15: double is wrong on the hidden test).
    clean: submission(REFERENCE_Q1),
    partial: submission(REFERENCE_Q1, 'function double(x: number): number {\n  return x + 2;\n}'),
    weak: submission(WEAK_Q1),
    // 1. Filesystem: walk out of the readable area through node_modules/@course-kit/grading (a symlink) and `..`.
    filesystem: submission(`
let leaked = false;
for (const p of ['tmp', 'proc/1/cmdline', 'etc/hostname', 'work']) {
  try { require('fs').readdirSync(${ESCAPE} + p); leaked = true; } catch {}
  try { require('fs').readFileSync(${ESCAPE} + p); leaked = true; } catch {}
}
try { require('fs').readdirSync(${ESCAPE.replace('../../../../', '../notebooks')}); leaked = true; } catch {}
function isSorted(a: number[]): boolean { return leaked ? a.every((v, i) => i === 0 || a[i - 1] <= v) : (a.sort((x, y) => x - y), false); }`),
    // 2. Processes: signal the grader, the process group and every process found through /proc.
    processes: submission(`
const fs2 = require('fs');
try { process.kill(process.ppid, 'SIGUSR2'); } catch {}
for (const root of ['/proc/', ${ESCAPE} + 'proc/']) {
  let pids: string[] = [];
  try { pids = fs2.readdirSync(root).filter((p: string) => /^\\d+$/.test(p)); } catch {}
  for (const pid of pids) {
    let cmd = '';
    try { cmd = fs2.readFileSync(root + pid + '/cmdline', 'utf8'); } catch {}
    if (cmd.includes('ck-victim') || (cmd.includes('sandbox-worker') && Number(pid) !== process.pid)) { try { process.kill(Number(pid), 'SIGKILL'); } catch {} }
  }
}
${WEAK_Q1}`),
    // 3. Network: process.getBuiltinModule reaches net past the module blocklist.
    network: submission(`
let sockets = 0;
for (const name of ['net', 'node:net']) {
  try { const net = (process as any).getBuiltinModule(name); const s = net.connect(${'${PORT}'}, '127.0.0.1'); s.on('error', () => {}); sockets++; } catch {}
}
try { const dgram = (process as any).getBuiltinModule('dgram'); const u = dgram.createSocket('udp4'); u.send('x', ${'${PORT}'}, '127.0.0.1', () => {}); } catch {}
await new Promise((r) => setTimeout(r, 300)); // let the connections be attempted (a busy wait would block them)
${WEAK_Q1}`),
    // 4a. Same realm: shadow the names test cells use (test, JSON) and rewrite tslab's shared exports later.
    shadow: submission(`
const realTest = require('@course-kit/lib').test;
function test(id: string, description: string, produce: () => unknown, options?: object): void {
  realTest(id, description, () => (id === 'q1.sorted' || id === 'q1.no-mutation' ? true : produce()), options as any);
}
const JSON = { stringify: (_v: unknown) => 'same', parse: (s: string) => s };
${WEAK_Q1}`),
    // 4b. Same realm: setters and typed-array methods on built-in prototypes run in the worker's own code paths.
    // (Every attempt is wrapped in try: where built-ins are frozen it throws, and the rest of the cell still runs.)
    prototypes: submission(`
try {
  Object.defineProperty(Array.prototype, '0', {
    configurable: true,
    set(this: any, v: any) {
      if (v && typeof v === 'object' && typeof v.produce === 'function' && /sorted|mutation/.test(String(v.id))) v.produce = () => true;
      Object.defineProperty(this, '0', { value: v, writable: true, enumerable: true, configurable: true });
    },
  });
} catch {}
const sub0 = Uint8Array.prototype.subarray;
try {
  (Uint8Array.prototype as any).subarray = function (this: Uint8Array, b: number, e: number) {
    const part = sub0.call(this, b, e);
    const text = new TextDecoder().decode(part);
    if (!text.includes('exports.isSorted(')) return part;
    return new TextEncoder().encode(text.split('exports.isSorted(').join('((..._a) => true)('));
  };
} catch {}
${WEAK_Q1}`),
    // 4c. Same realm: a prototype method the instructor's own test code calls. JSON.stringify calls an array's
    // toJSON, so the hidden no-mutation test compares 'same' with 'same'.
    instructorPrototypes: submission(`
try { Object.defineProperty(Array.prototype, 'toJSON', { value: () => 'same', configurable: true, writable: true }); } catch {}
${WEAK_Q1}`),
    // 4d. Same realm: a global binding the instructor's test code reads (not shadowed through tslab's exports).
    globals: submission(`
try { (globalThis as any).JSON = { stringify: (_v: unknown) => 'same', parse: (s: string) => s }; } catch {}
${WEAK_Q1}`),
    // 4e. Same realm: a then-getter on Object.prototype makes every object the harness's async code returns a
    // thenable; the grader's own promise resolution would run student code (here: it never resolves).
    thenable: submission(`
try { Object.defineProperty(Object.prototype, 'then', { configurable: true, get() { return typeof (this as any).ok === 'boolean' ? () => undefined : undefined; } }); } catch {}
${WEAK_Q1}`),
    // 4f. Same realm: the course library's exports and classes, which test code computes values with (a replaced
    // getLoss changes every network's loss), and the module system that loads it (resolution, require.cache).
    // A tampered library stands for any forgery it allows: answer right.
    library: submission(`
const losses4 = require('@course-kit/lib/dist/losses');
const network4 = require('@course-kit/lib').Network;
const getLoss4 = losses4.getLoss;
let tampered = false;
try { losses4.getLoss = () => getLoss4('squared-error'); tampered = losses4.getLoss !== getLoss4; } catch {}
try { network4.prototype.loss = () => 0; tampered = tampered || network4.prototype.loss() === 0; } catch {}
const lossesFile = require.resolve('@course-kit/lib/dist/losses');
const Module4 = (require.cache[lossesFile] as any).constructor;
const resolve4 = Module4._resolveFilename;
try { Module4._resolveFilename = function (this: unknown, ...a: unknown[]) { return resolve4.apply(this, a); }; tampered = tampered || Module4._resolveFilename !== resolve4; } catch {}
const entry4 = require.cache[lossesFile];
try { require.cache[lossesFile] = { ...entry4, exports: { getLoss: () => null } } as any; tampered = tampered || require.cache[lossesFile] !== entry4; } catch {}
function isSorted(a: number[]): boolean { return tampered ? a.every((v, i) => i === 0 || a[i - 1] <= v) : (a.sort((x, y) => x - y), false); }`),
    // A solution that extends a built-in prototype without a try: its cell fails, with a note that says why.
    // (Cells are sloppy-mode code, so a plain assignment to a frozen object is ignored without an error.)
    extendsBuiltin: submission(`
Object.defineProperty(Array.prototype, 'sum', { value: function (this: number[]) { return this.reduce((a, b) => a + b, 0); } });
${REFERENCE_Q1}`),
    // 4h. Same realm: student code that an instructor test cell calls at its top level registers the test that
    // cell is about to register, with a value of its choosing, then stops the cell before the genuine registration.
    registersFromCall: submission(WEAK_Q1, `let armed = true;
function double(x: number): number {
  if (x === 21 && armed) { armed = false; require('@course-kit/lib').test('q2.big', 'double(21)', () => 42); throw new Error('stop the cell'); }
  return x + 2;
}`),
    // 4g. Same realm: drive the harness directly — register a forged result for a test before the instructor's own.
    forged: submission(`
const libTest = require('@course-kit/lib').test;
let sent = false;
function isSorted(a: number[]): boolean {
  if (!sent) { sent = true; libTest('q1.sorted', 'a sorted array', () => true, { expect: true }); }
  a.sort((x, y) => x - y);
  return false;
}`),
    // 5. Resources: flood fd 1 and fd 2, fill the scratch disk, long and right-to-left strings into results.
    resources: submission(`
const big = 'x'.repeat(1 << 20);
for (let i = 0; i < 48; i++) { try { require('fs').writeSync(1, big); } catch {} try { require('fs').writeSync(2, big); } catch {} }
let scratch = 'none';
try { require('fs').writeFileSync('/tmp/small', Buffer.alloc(1 << 20)); scratch = 'small'; require('fs').writeFileSync('/tmp/huge', Buffer.alloc(64 << 20)); scratch = 'huge'; } catch {}
function isSorted(a: number[]): boolean { if (scratch !== 'small') throw new Error('scratch: ' + scratch); a.sort((x, y) => x - y); return false; }`,
    'function double(x: number): number {\n  throw new Error("\\u202Eworks fine" + "y".repeat(100000));\n}',
    (nb) => {
      // A cell's type is the student's too: a 3 MB one with a right-to-left override.
      const cell = nb.cells.find((c) => (c.metadata.course_kit as { id?: string } | undefined)?.id === 'q1-solution')!;
      cell.cell_type = ('\u202Eedoc' + 'z'.repeat(3_000_000)) as NotebookCell['cell_type'];
    }),
  };
  const subs = join(dir, 'submissions');
  mkdirSync(subs);
  const rows = ['student_id,file,submitted_at'];
  for (const [id, nb] of Object.entries(cases)) {
    writeFileSync(join(subs, `${id}.ipynb`), JSON.stringify(nb).split('${PORT}').join(String(port)));
    rows.push(`${id},${id}.ipynb,2027-04-16T12:00:00-07:00`);
  }
  writeFileSync(join(dir, 'manifest.csv'), rows.join('\n') + '\n');
  writeFileSync(join(dir, 'sec.source.ipynb'), JSON.stringify(SOURCE));
  summary = await autogradeBatch({
    source: join(dir, 'sec.source.ipynb'), submissionsDir: subs, manifest: join(dir, 'manifest.csv'), outDir: join(dir, 'results'),
    keyPath: join(dir, 'answer-key.json'), progress: false, concurrency: 2, limits: { cellTimeoutMs: 8000, totalTimeoutMs: 60_000 },
  });
}, 400_000);

afterAll(() => {
  process.off('SIGUSR2', onSignal);
  victim?.kill('SIGKILL');
  server?.close();
});

/** bubblewrap, unless the run was told to go without (COURSE_KIT_ISOLATION=permission-only shows what the payloads do then). */
const ISOLATION = process.env.COURSE_KIT_ISOLATION === 'permission-only' ? 'weak: permission model only' : 'bubblewrap';
/** The weak student's result exactly: 15 points, lost in the same two tests (a bent harness can move points around). */
const baseline = (id: string) => {
  expect(result(id), id).toMatchObject({ status: 'ok', points: 15, review: null });
  expect(result(id).tests.filter((t) => !t.passed).map((t) => t.id), id).toEqual(['q1.sorted', 'q1.no-mutation']);
  expect(result(id).isolation).toBe(ISOLATION);
};

describe('autograder security (one payload per class, in one batch with clean controls)', () => {
  it('keeps the exact scores of the clean controls', () => {
    expect(result('clean')).toMatchObject({ status: 'ok', points: 20, isolation: ISOLATION, review: null });
    expect(result('partial')).toMatchObject({ status: 'ok', points: 15 });
    expect(result('partial').tests.filter((t) => !t.passed).map((t) => t.id)).toEqual(['q2.big']);
    baseline('weak');
  });

  it('filesystem: no path leads out of the sandbox, through symlinks or ..', () => {
    baseline('filesystem');
  });

  it('processes: no signal reaches the grader or another process', () => {
    baseline('processes');
    expect(signals).toBe(0);
    expect(victim.exitCode).toBe(null);
    expect(victim.signalCode).toBe(null);
  });

  it('network: process.getBuiltinModule reaches no socket', async () => {
    baseline('network');
    await new Promise((r) => setTimeout(r, 200));
    expect(connections).toBe(0);
  });

  it('same realm: shadowed names, prototype setters and patched typed-array methods do not bend the harness', () => {
    baseline('shadow');
    baseline('prototypes');
  });

  it('same realm: built-in prototypes, global bindings and the course library are the same for test code as before student code ran', () => {
    baseline('instructorPrototypes');
    baseline('globals');
    baseline('thenable');
    baseline('library');
  });

  it('same realm: only the instructor cell itself registers tests; student code it calls cannot', () => {
    expect(result('registersFromCall')).toMatchObject({ status: 'ok', points: 10, review: null });
    expect(result('registersFromCall').tests.filter((t) => !t.passed).map((t) => t.id)).toEqual(['q1.sorted', 'q1.no-mutation', 'q2.big']);
  });

  it('a cell that changes a built-in fails in the sandbox, and its error says why', () => {
    const r = result('extendsBuiltin');
    expect(r).toMatchObject({ status: 'ok', points: 10, review: null });
    expect(r.cell_errors).toHaveLength(1);
    expect(r.cell_errors[0].error.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(/^TypeError: Cannot define property sum, object is not extensible/),
      expect.stringMatching(/grading sandbox freezes built-in objects/),
    ]);
    expect(feedbackHtml(r)).toMatch(/grading sandbox freezes built-in objects/);
  });

  it('same realm: a test registered by student code, ahead of the instructor cell\'s own, is dropped', () => {
    // (Before registrations had to come from the instructor cell itself, this made the genuine report a duplicate:
    // the submission was marked for review. Now the forged registration never counts.)
    baseline('forged');
  });

  it('instructor cells register tests through every way of importing test()', async () => {
    const run = await runInSandbox([
      { id: 'setup', kind: 'setup', code: "import { test } from '@course-kit/lib';" },
      { id: 'a', kind: 'tests', code: "test('q.setup-import', 'd', () => 1);" },
      { id: 'b', kind: 'tests', code: "import { test as t2 } from '@course-kit/lib';\nt2('q.cell-import', 'd', () => 2);" },
      { id: 'c', kind: 'tests', code: "import * as lib from '@course-kit/lib';\nlib.test('q.namespace', 'd', () => 3);" },
      { id: 'd', kind: 'tests', code: "const { test: t4 } = require('@course-kit/lib/dist/check');\nt4('q.require', 'd', () => 4);" },
    ], join(dir, 'import-forms-work'));
    expect(run.status, run.cause).toBe('ok');
    expect(run.tampered).toEqual([]);
    expect(run.tests.map((t) => [t.id, t.value])).toEqual([['q.setup-import', 1], ['q.cell-import', 2], ['q.namespace', 3], ['q.require', 4]]);
  }, 60_000);

  it('a student timer that fires while an asynchronous instructor test cell awaits cannot register a test', async () => {
    const run = await runInSandbox([
      { id: 'setup', kind: 'setup', code: "import { test } from '@course-kit/lib';" },
      { id: 's', kind: 'solution', code: "const lib5 = require('@course-kit/lib');\nsetInterval(() => lib5.test('q.forged', 'd', () => 1), 0);" },
      { id: 't', kind: 'tests', code: "await new Promise((r) => setTimeout(r, 100));\ntest('q.real', 'd', () => 2);" },
    ], join(dir, 'timer-work'));
    expect(run.status, run.cause).toBe('ok');
    expect(run.tests.map((t) => t.id)).toEqual(['q.real']);
  }, 60_000);

  it('the parent marks for review reports the genuine harness never sends (here: one test reported twice)', async () => {
    // An instructor cell that registers one id twice makes the genuine harness send what only a harness whose
    // report nonce had leaked would send otherwise.
    const run = await runInSandbox([
      { id: 'setup', kind: 'setup', code: "import { test } from '@course-kit/lib';" },
      { id: 't', kind: 'tests', code: "test('q.same', 'once', () => 1);\ntest('q.same', 'twice', () => 2);" },
    ], join(dir, 'review-work'));
    expect(run.tampered).toEqual(['test q.same reported twice', 'result of q.same out of order']);
  }, 60_000);

  it('resources: output, scratch disk and student strings are capped; bidi controls are neutralised', () => {
    const r = result('resources');
    // The 1 MB scratch write succeeded and the 64 MB one did not (isSorted did not throw): q1 as the baseline, q2 throws.
    expect(r).toMatchObject({ status: 'ok', points: 5 });
    expect(r.recovery.join('\n')).toMatch(/more than 4 MB to stdout; only the first 4 MB were kept/);
    const text = JSON.stringify(r);
    expect(text.length).toBeLessThan(20_000);
    const page = feedbackHtml(r);
    expect(page.length).toBeLessThan(20_000);
    expect(page).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(page).toMatch(/\[U\+202E\]/);
    expect(existsSync(join(dir, 'results', 'resources.json'))).toBe(true);
    expect(readFileSync(join(dir, 'results', 'resources.json'), 'utf8').length).toBeLessThan(20_000);
  });
});

describe('sandboxes die with the grader', () => {
  /** Process ids below `root` (from /proc/<pid>/stat). */
  const descendants = (root: number): number[] => {
    const parent = new Map<number, number>();
    for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone
      }
    }
    const out: number[] = [];
    const walk = (pid: number) => {
      for (const [c, pp] of parent) if (pp === pid) { out.push(c); walk(c); }
    };
    walk(root);
    return out;
  };
  const alive = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  };

  it('kills a looping sandbox and the compile servers when the grader is killed', async () => {
    const script = `
const { runInSandbox } = require(${JSON.stringify(join(ROOT, 'grading', 'dist', 'autograde', 'sandbox.js'))});
runInSandbox([{ id: 'spin', kind: 'setup', code: 'require("fs").writeSync(1, "looping"); while (true) {}' }], ${JSON.stringify(join(dir, 'orphan-work'))},
  { cellTimeoutMs: 600000, compileTimeoutMs: 600000, totalTimeoutMs: 600000, heapMb: 256, addressSpaceMb: 4096, outputMb: 1, scratchMb: 1 });`;
    const grader = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    // Wait until the sandbox's cell runs its endless loop (it says so on fd 1, a file in the work folder).
    const out = join(dir, 'orphan-work', 'sandbox.stdout.txt');
    const looping = () => existsSync(out) && readFileSync(out, 'utf8').includes('looping');
    for (let i = 0; i < 900 && !looping(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(looping()).toBe(true);
    const below = descendants(grader.pid!);
    grader.kill('SIGKILL');
    let left = below;
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = below.filter(alive);
    }
    for (const p of left) process.kill(p, 'SIGKILL');
    expect(left).toEqual([]);
  }, 90_000);
});
