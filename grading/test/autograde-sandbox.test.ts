/**
 * End to end through the sandbox: reference 100/100, stub 0, and adversarial
 * submissions graded in one parallel batch without affecting one another.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchSummary, autogradeBatch } from '../src/autograde/batch';
import { writeFeedback } from '../src/autograde/feedback';
import { SubmissionResult, buildPlan } from '../src/autograde/grade';
import { PlanCell } from '../src/autograde/protocol';
import { SandboxRun, runInSandbox } from '../src/autograde/sandbox';
import { HW1_SOURCE, ensureBuilt, hw1 } from './autograde-helpers';

const dir = mkdtempSync(join(tmpdir(), 'ck-adversarial-'));
const subs = join(dir, 'submissions');
const out = join(dir, 'results');
const append = (extra: string) => (code: string) => code + '\n' + extra;
const leakProbe = (paths: string[]) => `
let leaked = false;
for (const p of ${JSON.stringify(paths)}) { try { require('fs').readFileSync(p); leaked = true; } catch {} try { require('fs').readdirSync(p); leaked = true; } catch {} }
try { require('child_process').execSync('echo hi'); leaked = true; } catch {}
try { require('http').get('http://127.0.0.1:9'); leaked = true; } catch {}
try { (globalThis as any).fetch('http://127.0.0.1:9'); leaked = true; } catch {}
function logisticDerivative(y: number): number { return leaked ? -1 : y * (1 - y); }`;

let summary: BatchSummary;
const result = (id: string): SubmissionResult => summary.results.find((r) => r.student_id === id)!;

beforeAll(async () => {
  ensureBuilt();
  const { submission, released } = hw1();
  mkdirSync(subs);
  const cases: Record<string, unknown> = {
    reference: submission(),
    stub: released,
    loop: submission({ 'q5-solution': append('while (true) {}') }),
    alloc: submission({ 'q5-solution': append('const hog: number[][] = []; while (true) hog.push(new Array(1e6).fill(1.5));') }),
    exit: submission({ 'q5-solution': append('process.exit(0);') }),
    nonerror: submission({ 'q1-solution': () => 'function logisticDerivative(y: number): number { throw 42; }', 'q4-solution': () => 'function perceptronUpdate(w: number[], x: number[], t: number): number[] { throw { message: "x" }; }' }),
    leak: submission({ 'q1-solution': () => leakProbe([HW1_SOURCE, subs, join(subs, 'reference.ipynb'), out, join(dir, 'answer-key.json'), join(dir, '..')]) }),
    patch: submission({
      'q5-solution': append(`
JSON.stringify = () => '{"t":"result","ok":true}'; JSON.parse = () => ({ ok: true });
(Object.prototype as any).toJSON = () => 'lie'; Math.random = () => 0.5; console.log = () => {}; console.error = () => {};
const fs5 = require('fs'); const w5 = fs5.writeSync; fs5.writeSync = (fd: number, s: any, ...r: any[]) => w5(fd, String(s).replace(/false/g, 'true'), ...r);
(process as any).send = () => true;`),
    }),
    hijack: submission({
      'q5-solution': append(`
let vm5: any = {}; try { vm5 = require('vm'); } catch {} // a sandbox may refuse vm itself; the cell must still define q5
try { vm5.runInThisContext = () => undefined; } catch {}
try { Object.defineProperty(vm5, 'runInThisContext', { value: () => undefined }); } catch {}
try { require('fs').writeSync(5, '{"id":0,"compiled":{"meta":{},"converted":{"diagnostics":[],"output":"1"}}}\\n'); } catch {}
try { require('fs').writeSync(4, '{"t":"compile","key":"c0","prev":-1}\\n'); } catch {}`),
    }),
    patchcheck: submission({
      'q5-solution': append(`
const lib5 = require('@course-kit/lib/dist/check');
let installed = 'no'; try { lib5.installGrader(() => {}); installed = 'yes'; } catch { installed = 'refused'; }
lib5.test = () => console.log('PASS all'); lib5.check = () => { console.log('all tests passed'); return true; };`),
    }),
    forge: submission({
      'q1-solution': () => `
const fake = '{"n":"0","t":"result","id":"q1.half","ok":true,"value":0.25,"description":"","tol":null,"rtol":null,"points":null,"ms":1}\\n';
console.log(fake); console.log('PASS q1.half 100/100');
for (const fd of [1, 3, 4]) { try { require('fs').writeSync(fd, fake); } catch {} }
setTimeout(() => { try { require('fs').writeSync(4, fake); } catch {} }, 0);
setTimeout(() => process.exit(0), 30000);
function logisticDerivative(y: number): number { return 0; }`,
    }),
    liar: submission({
      'q1-solution': () => 'function logisticDerivative(y: number): number { return { valueOf: () => y * (1 - y), toJSON: () => y * (1 - y) } as any; }',
      'q3-solution': (c) => c.replace('return e.map((v) => v / s);', 'return new Proxy(e.map((v) => v / s), {});'),
      'q4-solution': (c) => c.replace('if (y === t) return w.slice();', 'if (y === t) { const r = w.slice(); Object.defineProperty(r, 0, { get: () => w[0] }); return r; }'),
    }),
    // Array.prototype patched to fool a grader that collects tests or results in arrays; the segment hook is probed too.
    arraypatch: submission({
      'q5-solution': append(`
const ap5 = Array.prototype as any; const map5 = ap5.map; const push5 = ap5.push;
try { ap5.push = function (this: any[], ...items: any[]) { return push5.apply(this, items.filter((x) => !(x && typeof x === 'object' && ('produce' in x || 'hidden' in x)))); }; } catch {}
try { ap5.map = function (this: any[], f: any, self?: any) { return map5.call(this, (x: any, i: number, a: any[]) => { const y = f.call(self, x, i, a); return y && typeof y === 'object' && 'hidden' in y ? { ...y, hidden: false } : y; }); }; } catch {}
try { ap5.toJSON = () => 'lie'; } catch {}
const hook5 = (globalThis as any).__courseKitSegment;
for (let k = 0; k < 4; k++) { try { hook5(k, 'guess'); hook5(k, undefined); } catch {} }
try { (globalThis as any).__courseKitSegment = () => {}; } catch {}
try { Object.defineProperty(globalThis, '__courseKitSegment', { value: () => {} }); } catch {}`),
    }),
    // A type error only in q3's hidden tests (they call the gradient with four classes): the visible tests still count.
    typefail: submission({ 'q3-solution': (c) => c.replace('function softmaxCrossEntropyGrad(z: number[]', 'function softmaxCrossEntropyGrad(z: [number, number, number]') }),
    missing: submission({}, (nb) => {
      nb.cells = nb.cells.filter((c) => (c.metadata.course_kit as { id?: string } | undefined)?.id !== 'q2-solution');
      delete nb.cells.find((c) => (c.metadata.course_kit as { id?: string } | undefined)?.id === 'q3-solution')!.metadata.course_kit;
    }),
  };
  const rows = ['student_id,file,submitted_at'];
  for (const [id, nb] of Object.entries(cases)) {
    writeFileSync(join(subs, `${id}.ipynb`), JSON.stringify(nb));
    rows.push(`${id},${id}.ipynb,2027-04-16T12:00:00-07:00`);
  }
  writeFileSync(join(subs, 'corrupt.ipynb'), '{"cells": [ {"cell_type": "code", "sou');
  rows.push('corrupt,corrupt.ipynb,2027-04-16T12:00:00Z', 'absent,,');
  writeFileSync(join(subs, 'unlisted.ipynb'), '{}');
  writeFileSync(join(dir, 'manifest.csv'), rows.join('\n') + '\n');
  summary = await autogradeBatch({
    source: HW1_SOURCE, submissionsDir: subs, manifest: join(dir, 'manifest.csv'), outDir: out, keyPath: join(dir, 'answer-key.json'),
    progress: false, limits: { cellTimeoutMs: 5000, totalTimeoutMs: 45_000 },
  });
}, 400_000);

describe('autograde in the sandbox', () => {
  it('gives the reference solution 100/100 and the released stub 0', () => {
    expect(result('reference')).toMatchObject({ status: 'ok', points: 100, max_points: 100 });
    expect(result('stub')).toMatchObject({ status: 'ok', points: 0 });
    expect(result('stub').tests.find((t) => t.id === 'q1.half')!.message).toMatch(/not implemented: q1/);
  });
  it('keeps earlier credit and names the cause on timeout, memory blow-up and exit', () => {
    // Q1–Q4 (6 + 28 + 12 + 10) run before q5-solution.
    expect(result('loop')).toMatchObject({ status: 'timeout', points: 56 });
    expect(result('loop').cause).toMatch(/q5-solution/);
    expect(result('alloc').points).toBe(56);
    expect(result('alloc').status).not.toBe('ok');
    expect(result('exit')).toMatchObject({ status: 'crash', points: 56 });
    expect(result('exit').cause).toMatch(/exited .*q5-solution/);
  });
  it('fails tests that throw non-Errors, with a message', () => {
    // q1 (6) and q4 (10) throw; q2 calls logisticDerivative but is graded with the reference one (questions are independent).
    expect(result('nonerror')).toMatchObject({ status: 'ok', points: 84 });
    expect(result('nonerror').tests.find((t) => t.id === 'q1.half')!.message).toMatch(/threw 42/);
  });
  it('cannot read hidden tests, the key, other submissions, spawn or use the network', () => {
    expect(result('leak')).toMatchObject({ status: 'ok', points: 100 });
  });
  it('is not fooled by monkeypatched globals, helpers, printed or forged results', () => {
    expect(result('patch')).toMatchObject({ status: 'ok', points: 100 });
    // Test cells use the helpers imported by the setup cell; replacing the module's exports later changes nothing.
    expect(result('patchcheck').points).toBe(100);
    // vm.runInThisContext cannot be replaced (the test cells after q5 still run); writes into the conversion pipe go nowhere.
    expect(result('hijack')).toMatchObject({ status: 'ok', points: 100 });
    // logisticDerivative returns 0: q1 loses 5 (q1.ends passes), q2 is graded with the reference one; forged lines are rejected.
    expect(result('forge')).toMatchObject({ status: 'ok', points: 95 });
    expect(result('forge').recovery.join(' ')).toMatch(/rejected/);
  });
  it('is not fooled by a patched Array.prototype, and others are unaffected', () => {
    expect(result('arraypatch')).toMatchObject({ status: 'ok', points: 100 });
    expect(result('arraypatch').recovery.join(' ')).not.toMatch(/rejected/);
    expect(result('arraypatch').tests.filter((t) => t.hidden).map((t) => t.id)).toEqual(result('reference').tests.filter((t) => t.hidden).map((t) => t.id));
    expect(result('reference')).toMatchObject({ status: 'ok', points: 100 });
  });
  it('keeps the visible tests of a test cell whose hidden part does not type-check', () => {
    const r = result('typefail');
    expect(r).toMatchObject({ status: 'ok', points: 94 });
    expect(r.tests.filter((t) => !t.passed).map((t) => [t.id, t.message])).toEqual([
      ['q3.very-negative', 'not run: the test cell failed'], ['q3.grad-4', 'not run: the test cell failed'], ['q3.grad-large', 'not run: the test cell failed']]);
    expect(r.recovery.join(' ')).not.toMatch(/rejected/);
  });
  it('does not believe lying objects', () => {
    // q1 all (6); q3's three softmax tests (6: the gradient maps the Proxy into a real array); q4.correct (1.5) and
    // q4.boundary (1), whose correct-output case returns the array with a getter.
    expect(result('liar')).toMatchObject({ status: 'ok', points: 85.5 });
    expect(result('liar').tests.filter((t) => !t.passed).map((t) => t.id)).toEqual(['q1.half', 'q1.small', 'q1.ends', 'q1.symmetric', 'q1.through-x', 'q3.uniform', 'q3.large', 'q3.very-negative', 'q4.correct', 'q4.boundary']);
  });
  it('handles corrupt notebooks, missing cells, absent and unlisted files', () => {
    expect(result('corrupt')).toMatchObject({ status: 'crash', points: 0 });
    expect(result('corrupt').cause).toMatch(/invalid notebook/);
    expect(result('missing').points).toBe(72);
    expect(result('missing').recovery.join('\n')).toMatch(/q2-solution: solution cell missing[\s\S]*q3-solution: cell id missing; recovered/);
    expect(result('absent')).toMatchObject({ status: 'no-submission', points: 0, submitted_at: null });
    expect(summary.warnings.join('\n')).toMatch(/unlisted.ipynb: in the submissions folder but not in the manifest/);
  });
  /** One plan run twice: cells converted by the compile servers (remote), and by the sandbox itself (local, the reference). */
  const bothWays = async (plan: PlanCell[], name: string): Promise<{ remote: SandboxRun; local: SandboxRun }> => {
    const remote = await runInSandbox(plan, join(dir, `work-${name}-remote`));
    process.env.COURSE_KIT_SANDBOX_COMPILE = 'local';
    try {
      return { remote, local: await runInSandbox(plan, join(dir, `work-${name}-local`)) };
    } finally {
      delete process.env.COURSE_KIT_SANDBOX_COMPILE;
    }
  };

  it('reports with cells converted by the compile servers what a sandbox converting its own cells reports', async () => {
    const { remote, local } = await bothWays(buildPlan(hw1().assignment), 'hw1');
    const reported = (r: SandboxRun) => ({
      status: r.status,
      cells: r.cells.map((c) => [c.id, c.ok, c.error, c.stdout]),
      tests: r.tests.map((t) => [t.id, t.ok, t.value, t.error]),
    });
    expect(remote.tests.length).toBe(44);
    expect(reported(remote)).toEqual(reported(local));
  }, 60_000);

  it('never loads TypeScript in a sandbox whose cells the compile servers convert', async () => {
    const probe: PlanCell[] = [{ id: 'probe', kind: 'setup', code: 'const n: number = Object.keys(require.cache).filter((k) => /typescript/.test(k)).length;\nconsole.log(n > 0);' }];
    const { remote, local } = await bothWays(probe, 'probe');
    expect(remote.cells.map((c) => [c.ok, c.stdout])).toEqual([[true, 'false\n']]);
    expect(local.cells.map((c) => [c.ok, c.stdout])).toEqual([[true, 'true\n']]);
  }, 60_000);

  it('runs a split test cell as one cell, reporting what separate chunks report, each chunk once', async () => {
    const plan = (hiddenCode: string): PlanCell[] => [
      { id: 'setup', kind: 'setup', code: 'import { test } from "@course-kit/lib";\nconst runs = { n: 0 };' },
      { id: 'x', kind: 'tests', question: 'x', hidden: false, code: 'runs.n++;\nconsole.log("chunk 0");\ntest("x.a", "a", () => runs.n);' },
      { id: 'x', kind: 'tests', question: 'x', hidden: true, code: `test("x.h", "h", () => runs.n * 10);\n${hiddenCode}\ntest("x.h2", "h2", () => 3);` },
      { id: 'x', kind: 'tests', question: 'x', hidden: false, code: 'runs.n += 100;\ntest("x.c", "c", () => runs.n);' },
      { id: 'y', kind: 'tests', question: 'y', hidden: false, code: 'test("y.a", "a", () => runs.n);' },
    ];
    const reported = (r: SandboxRun) => ({
      status: r.status,
      // Node names the line of the converted JavaScript that threw; merged chunks sit further down.
      cells: r.cells.map((c) => [c.id, c.ok, c.error.replace(/evalmachine\.<anonymous>:\d+/g, 'evalmachine').split('\n')[0]]),
      tests: r.tests.map((t) => [t.id, t.cellId, t.hidden, t.ok, t.value]),
      rejected: r.rejected,
    });
    for (const [name, hiddenCode] of [['clean', 'runs.n += 0;'], ['runtime error', 'throw new Error("boom");'], ['type error', 'const bad: number = "x";']]) {
      const merged = await runInSandbox(plan(hiddenCode), join(dir, 'work-merged'));
      process.env.COURSE_KIT_SANDBOX_MERGE = '0';
      let separate: SandboxRun;
      try {
        separate = await runInSandbox(plan(hiddenCode), join(dir, 'work-separate'));
      } finally {
        delete process.env.COURSE_KIT_SANDBOX_MERGE;
      }
      expect(reported(merged), name).toEqual(reported(separate));
      expect(merged.cells.length, name).toBe(5);
      // x.c sees runs.n = 101: no chunk ran twice.
      expect(merged.tests.find((t) => t.id === 'x.c')?.value, name).toBe(101);
      expect(merged.tests.find((t) => t.id === 'x.h')?.hidden, name).toBe(name === 'type error' ? undefined : true);
      // Separate cells print chunk by chunk; the merged cell's output arrives with its last report (the only difference).
      expect(separate.cells[1].stdout, name).toBe('chunk 0\n');
      if (name !== 'type error') expect(merged.cells[1].stdout, name).toBe('');
    }
  }, 60_000);

  it('resumes without regrading and writes feedback pages', async () => {
    expect(readdirSync(out).filter((f) => f.endsWith('.json')).length).toBe(summary.results.length);
    const again = await autogradeBatch({
      source: HW1_SOURCE, submissionsDir: subs, manifest: join(dir, 'manifest.csv'), outDir: out, keyPath: join(dir, 'answer-key.json'), progress: false,
      limits: { cellTimeoutMs: 5000, totalTimeoutMs: 45_000 },
    });
    expect(again.graded).toEqual([]);
    expect(again.skipped.length).toBe(summary.results.length);
    expect(writeFeedback({ resultsDir: out, outDir: join(dir, 'feedback') }).length).toBe(summary.results.length);
  });
});
