/**
 * Grading one submission: recover the student's solution cells, build the
 * grading notebook (student solutions + instructor setup and test cells),
 * run it in the sandbox, and judge the reported values against the answer
 * key in this (trusted) process.
 */
import { createHash } from 'crypto';
import { comparePlain, PlainValue } from '@course-kit/lib';
import { Assignment, Notebook, NotebookCell, SourceCell, cellSource, countTests, courseKitMeta, parseNotebook } from './notebook';
import { releasedCell } from './release';
import { splitPoints } from './points';
import type { IsolationLevel } from './isolation';
import { PlanCell, capText } from './protocol';
import { DEFAULT_LIMITS, SandboxLimits, SandboxRun, runInSandbox } from './sandbox';

export const GRADER_VERSION = 'course-kit-autograde/1';

/** One test of the answer key; `expected` never leaves the parent. */
export interface KeyTest {
  id: string;
  question: string;
  cellId: string;
  hidden: boolean;
  description: string;
  points: number;
  expected: PlainValue;
  tol?: number;
  rtol?: number;
}

export interface AnswerKey {
  assignment: string;
  sourceHash: string;
  maxPoints: number;
  tests: KeyTest[];
}

export type Status = 'ok' | 'timeout' | 'crash' | 'no-submission';

export interface TestResult {
  id: string;
  question: string;
  hidden: boolean;
  description: string;
  points: number;
  max_points: number;
  passed: boolean;
  message: string;
}

/** The per-submission result file (the gradebook's input). */
export interface SubmissionResult {
  assignment: string;
  student_id: string;
  status: Status;
  points: number;
  max_points: number;
  submitted_at: string | null;
  file: string | null;
  tests: TestResult[];
  /** Why a run stopped early (timeout/crash, naming the cell or test). */
  cause: string | null;
  /** Errors raised by the student's own cells. */
  cell_errors: { id: string; error: string }[];
  timings: { startup_ms: number; total_ms: number; cells: Record<string, number> };
  graded_at: string;
  recovery: string[];
  input_hash: string;
  grader: string;
  /** The isolation the sandbox ran under ('bubblewrap', or weaker when the instructor allowed it); null when nothing ran. */
  isolation?: IsolationLevel | null;
  /**
   * Why this submission needs a human look before any credit (e.g. reports
   * that only a tampered harness sends); its tests were not credited. Null
   * when nothing is suspicious.
   */
  review?: string | null;
}

/** V8's messages for a write to a frozen object or a non-writable binding. */
const FROZEN_WRITE = /^(?:\w*Error: )?(?:Cannot assign to read only property|Cannot (?:add|define) property .*object is not extensible|Cannot redefine property|Cannot delete property)/;

/**
 * A student cell's error, with a line after its first that says why when it
 * is a write to something the sandbox froze (built-in prototypes, global
 * bindings, the course library): the same cell runs in the student's notebook.
 */
export function explainFrozen(error: string): string {
  if (!FROZEN_WRITE.test(error)) return error;
  const nl = error.indexOf('\n');
  const note = '(The grading sandbox freezes built-in objects and prototypes, standard globals and the course library; a solution may not change them.)';
  return nl < 0 ? `${error}\n${note}` : `${error.slice(0, nl)}\n${note}${error.slice(nl)}`;
}

/** Longest student-controlled text kept in a result (notes, messages, errors), in characters. */
export const RESULT_TEXT_CAP = 1000;

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const round = (x: number) => Math.round(x * 1e6) / 1e6;

function normalise(code: string): string {
  return code.replace(/\s+/g, ' ').trim();
}

/** Names a solution cell declares at top level (functions, consts, classes): used to find it without its id. */
export function declaredNames(code: string): string[] {
  const names = new Set<string>();
  for (const m of code.matchAll(/^(?:export\s+)?(?:function\s*\*?\s*([A-Za-z_$][\w$]*)|(?:const|let|var|class)\s+([A-Za-z_$][\w$]*))/gm)) {
    names.add(m[1] ?? m[2]);
  }
  return [...names];
}

export interface Recovery {
  /** Student code per solution cell id (the released stub when nothing was found). */
  solutions: Map<string, string>;
  notes: string[];
}

/**
 * Match the student's cells to the source's solution cells by id; recover
 * duplicated, moved, retyped (markdown/raw) and id-less cells, and report
 * every repair.
 */
export function recoverSolutions(a: Assignment, student: Notebook): Recovery {
  const notes: string[] = [];
  const solutions = new Map<string, string>();
  const sourceIds = new Set(a.cells.filter((c) => c.meta).map((c) => c.meta!.id));
  const studentCells = student.cells.map((cell, index) => ({ cell, index, id: courseKitMeta(cell)?.id, code: cellSource(cell) }));
  const used = new Set<number>();
  const order: number[] = [];
  for (const sc of a.cells) {
    if (sc.meta?.kind !== 'solution') continue;
    const id = sc.meta.id;
    const stub = cellSource(releasedCell(sc));
    let pick: (typeof studentCells)[number] | undefined;
    const same = studentCells.filter((c) => c.id === id);
    if (same.length > 0) {
      const changed = same.filter((c) => normalise(c.code) !== normalise(stub));
      const pool = changed.length > 0 ? changed : same;
      pick = pool.reduce((best, c) => ((c.cell.execution_count ?? -1) >= (best.cell.execution_count ?? -1) ? c : best));
      if (same.length > 1) notes.push(`${id}: ${same.length} cells carry this id (duplicated); graded cell #${pick.index + 1} (${changed.length > 0 ? 'edited, most recently run' : 'last'})`);
    } else {
      const names = declaredNames(stub);
      const found = studentCells.filter(
        (c) => !used.has(c.index) && (c.id === undefined || !sourceIds.has(c.id)) && names.length > 0 &&
          names.every((n) => declaredNames(c.code).includes(n)),
      );
      pick = found[found.length - 1];
      if (pick) notes.push(`${id}: cell id missing; recovered from cell #${pick.index + 1}, which declares ${names.join(', ')}`);
    }
    if (!pick) {
      notes.push(`${id}: solution cell missing (deleted?); graded as not implemented`);
      solutions.set(id, stub);
      continue;
    }
    if (pick.cell.cell_type !== 'code') notes.push(`${id}: cell #${pick.index + 1} was a ${capText(String(pick.cell.cell_type), 20)} cell; its text was graded as code`);
    used.add(pick.index);
    order.push(pick.index);
    solutions.set(id, pick.code);
  }
  if (order.some((v, i) => i > 0 && v < order[i - 1])) notes.push('solution cells were moved; graded in the order of the assignment');
  for (const c of studentCells) {
    const src = a.cells.find((s) => s.meta && s.meta.id === c.id && s.meta.kind !== 'solution' && s.meta.kind !== 'manual');
    if (src && normalise(c.code) !== normalise(cellSource(releasedCell(src)))) {
      notes.push(`${c.id}: this instructor cell was edited in the submission; the original was used`);
    }
  }
  // Id-less code cells the assignment itself has (a plot to look at, say) are no news to the student.
  const ungraded = new Set(a.cells.filter((s) => !s.meta && s.cell.cell_type === 'code').map((s) => normalise(s.code)));
  const extra = studentCells.filter(
    (c) => c.cell.cell_type === 'code' && c.id === undefined && !used.has(c.index) && c.code.trim() !== '' && !ungraded.has(normalise(c.code)),
  );
  if (extra.length > 0) notes.push(`${extra.length} code cell(s) without an id were not graded (cells #${extra.map((c) => c.index + 1).join(', #')})`);
  return { solutions, notes };
}

/** Test cells are split at hidden regions: each chunk runs separately so the parent knows which tests are hidden. */
function testChunks(sc: SourceCell): PlanCell[] {
  const chunks: PlanCell[] = [];
  for (const s of sc.segments) {
    const hidden = s.region === 'hidden';
    const last = chunks[chunks.length - 1];
    if (last && last.hidden === hidden) last.code += '\n' + s.code;
    else chunks.push({ id: sc.meta!.id, kind: 'tests', question: sc.meta!.question, hidden, code: s.code });
  }
  return chunks;
}

/** The grading notebook: instructor setup and test cells, student solutions (or the reference when `solutions` is absent). */
export function buildPlan(a: Assignment, solutions?: Map<string, string>): PlanCell[] {
  const plan: PlanCell[] = [];
  for (const sc of a.cells) {
    if (!sc.meta) continue;
    if (sc.meta.kind === 'setup') plan.push({ id: sc.meta.id, kind: 'setup', code: sc.code });
    else if (sc.meta.kind === 'solution') {
      plan.push({ id: sc.meta.id, kind: 'solution', question: sc.meta.question, code: solutions ? solutions.get(sc.meta.id) ?? '' : sc.code });
    } else if (sc.meta.kind === 'tests') plan.push(...testChunks(sc));
    // manual (written answer) cells are graded by a person, never run
  }
  return plan;
}

export function sourceHash(a: Assignment): string {
  return sha256(JSON.stringify(a.notebook.cells.map((c) => [c.cell_type, cellSource(c), c.metadata.course_kit ?? null])));
}

/**
 * The answer key: run the reference solution through the same sandbox and
 * keep the values it produces. Fails (naming the cell or test) if the
 * reference does not run cleanly or misses an `expect` of its own visible tests.
 */
export async function buildKey(a: Assignment, workDir: string, limits: SandboxLimits = DEFAULT_LIMITS): Promise<AnswerKey> {
  const plan = buildPlan(a);
  const run = await runInSandbox(plan, workDir, { ...limits, totalTimeoutMs: Math.max(limits.totalTimeoutMs, 120_000) });
  if (run.status !== 'ok') throw new Error(`reference solution of ${a.name}: ${run.cause}\n${run.stderrTail}`);
  if (run.tampered.length > 0) throw new Error(`reference solution of ${a.name}: the sandbox's reports broke the protocol: ${run.tampered.join('; ')}`);
  run.cells.forEach((c) => {
    if (!c.ok) throw new Error(`reference solution of ${a.name}: cell ${c.id} failed: ${c.error}`);
  });
  const tests: KeyTest[] = [];
  for (const sc of a.cells) {
    if (sc.meta?.kind !== 'tests') continue;
    const where = `${a.name}: test cell ${sc.meta.id}`;
    const mine = run.tests.filter((t) => t.cellId === sc.meta!.id);
    if (mine.length === 0) throw new Error(`${where} declares no tests`);
    const hiddenExpected = sc.segments.filter((s) => s.region === 'hidden').reduce((n, s) => n + countTests(s.code), 0);
    const hiddenFound = mine.filter((t) => t.hidden).length;
    if (hiddenExpected !== hiddenFound) throw new Error(`${where}: ${hiddenFound} hidden tests ran but ${hiddenExpected} test( calls were counted; declare one test per test( call`);
    const withPoints = mine.filter((t) => t.points !== null);
    const cellPoints = sc.meta.points!;
    if (withPoints.length > 0) {
      if (withPoints.length !== mine.length) throw new Error(`${where}: either every test or no test states points`);
      const sum = mine.reduce((s, t) => s + t.points!, 0);
      if (Math.abs(sum - cellPoints) > 1e-9) throw new Error(`${where}: test points sum to ${sum}, the cell has ${cellPoints}`);
    }
    // Equal shares in hundredths that sum exactly to the cell's points (points.ts).
    const shares = splitPoints(cellPoints, mine.length);
    for (const [i, t] of mine.entries()) {
      if (!t.id.startsWith(`${sc.meta.question}.`)) throw new Error(`${where}: test id ${t.id} must start with "${sc.meta.question}."`);
      if (tests.some((k) => k.id === t.id)) throw new Error(`${where}: duplicate test id ${t.id}`);
      if (!t.ok) throw new Error(`${where}: the reference solution fails test ${t.id}: ${t.error}`);
      const opts = { tol: t.tol ?? undefined, rtol: t.rtol ?? undefined };
      if (t.expect !== undefined) {
        const c = comparePlain(t.value!, t.expect, opts);
        if (!c.equal) throw new Error(`${where}: the reference solution does not meet the stated expect of ${t.id}: ${c.message}`);
      }
      tests.push({
        id: t.id, question: sc.meta.question!, cellId: sc.meta.id, hidden: t.hidden, description: t.description,
        points: t.points ?? shares[i]!, expected: t.value!, ...opts,
      });
    }
  }
  return { assignment: a.name, sourceHash: sourceHash(a), maxPoints: a.maxPoints, tests };
}

/** Compare reported values with the key; hidden tests get no value-revealing message. */
export function judge(key: AnswerKey, run: SandboxRun | undefined, plan: PlanCell[]): TestResult[] {
  return key.tests.map((k) => {
    const base = { id: k.id, question: k.question, hidden: k.hidden, description: k.description, max_points: round(k.points) };
    const fail = (message: string): TestResult => ({ ...base, points: 0, passed: false, message });
    if (!run) return fail('not run: no submission');
    const r = run.tests.find((t) => t.id === k.id && t.cellId === k.cellId && t.hidden === k.hidden);
    if (!r) {
      const chunk = plan.findIndex((p) => p.id === k.cellId && p.hidden === k.hidden);
      const cell = run.cells[chunk];
      if (cell && !cell.ok) return fail(k.hidden ? 'not run: the test cell failed' : capText(`not run: the test cell failed: ${cell.error.split('\n')[0]}`, RESULT_TEXT_CAP));
      if (run.status !== 'ok' && !cell) return fail(`not run: ${run.cause}`);
      if (run.status !== 'ok') return fail(`no result: ${run.cause}`);
      return fail('no result reported (was a test helper or a global replaced?)');
    }
    if (!r.ok) return fail(k.hidden ? 'raised an error' : capText(`error: ${r.error}`, RESULT_TEXT_CAP));
    const c = comparePlain(r.value!, k.expected, { tol: k.tol, rtol: k.rtol });
    if (c.equal) return { ...base, points: round(k.points), passed: true, message: 'passed' };
    // Messages name fields of student objects: capped.
    return fail(k.hidden ? 'wrong value' : capText(c.message, RESULT_TEXT_CAP));
  });
}

/**
 * Written-answer (manual) cells in a result: 0 points now, "needs manual grading"; the gradebook adds the
 * rubric scores given on the manual grading page (`manual: true` marks them).
 */
export function manualTests(a: Assignment): (TestResult & { manual: true })[] {
  return a.cells
    .filter((c) => c.meta?.kind === 'manual')
    .map((c) => ({
      id: c.meta!.id, question: c.meta!.question!, hidden: false, description: 'written answer', points: 0,
      max_points: round(c.meta!.points!), passed: false, message: 'needs manual grading', manual: true as const,
    }));
}

export interface GradeInput {
  assignment: Assignment;
  key: AnswerKey;
  studentId: string;
  /** Notebook text, or undefined for no submission. */
  notebookText?: string;
  file?: string | null;
  submittedAt: string | null;
  workDir: string;
  limits?: SandboxLimits;
  inputHash?: string;
  /** Notes from the manifest check (e.g. missing file). */
  notes?: string[];
}

/**
 * Reported tests the answer key does not have where they were reported (a
 * test id, or a hidden test in a visible chunk): the genuine harness reports
 * only the tests the instructor's cells declare, so these come from student
 * code driving the harness (e.g. calling test() or the segment hook itself).
 */
export function unexpectedTests(key: AnswerKey, run: SandboxRun): string[] {
  return run.tests
    .filter((t) => !key.tests.some((k) => k.id === t.id && k.cellId === t.cellId && k.hidden === t.hidden))
    .map((t) => `test ${capText(t.id, 60)} reported in ${t.hidden ? 'a hidden' : 'a visible'} chunk of ${t.cellId}, where the instructor declared no such test`);
}

/** Grade one submission; never throws for a bad submission. */
export async function gradeSubmission(input: GradeInput): Promise<SubmissionResult> {
  const { assignment: a, key } = input;
  const recovery = [...(input.notes ?? [])];
  const result: SubmissionResult = {
    assignment: a.name, student_id: input.studentId, status: 'ok', points: 0, max_points: key.maxPoints,
    submitted_at: input.submittedAt, file: input.file ?? null, tests: [], cause: null, cell_errors: [],
    timings: { startup_ms: 0, total_ms: 0, cells: {} }, graded_at: new Date().toISOString(), recovery,
    input_hash: input.inputHash ?? '', grader: GRADER_VERSION, isolation: null, review: null,
  };
  const finishWith = (tests: TestResult[]) => {
    result.tests = [...tests, ...manualTests(a)];
    result.points = round(tests.reduce((s, t) => s + t.points, 0));
    return result;
  };
  if (input.notebookText === undefined) {
    result.status = 'no-submission';
    result.cause = 'no submission';
    return finishWith(judge(key, undefined, []));
  }
  let nb: Notebook;
  try {
    nb = parseNotebook(input.notebookText, input.file ?? input.studentId);
  } catch (e) {
    // A corrupt notebook: nothing to run, every test fails, the cause is named.
    result.status = 'crash';
    result.cause = `invalid notebook: ${(e as Error).message}`;
    return finishWith(judge(key, undefined, []).map((t) => ({ ...t, message: 'not run: invalid notebook file' })));
  }
  const rec = recoverSolutions(a, nb);
  recovery.push(...rec.notes);
  const plan = buildPlan(a, rec.solutions);
  const run = await runInSandbox(plan, input.workDir, input.limits ?? DEFAULT_LIMITS);
  result.status = run.status;
  result.cause = run.cause ?? null;
  result.timings = {
    startup_ms: Math.round(run.startupMs),
    total_ms: Math.round(run.ms),
    cells: Object.fromEntries(run.cells.map((c, i) => [`${c.id}${plan[i].kind === 'tests' ? `#${i}` : ''}`, Math.round(c.ms)])),
  };
  result.isolation = run.isolation;
  run.cells.forEach((c, i) => {
    if (!c.ok && plan[i].kind === 'solution') result.cell_errors.push({ id: c.id, error: capText(explainFrozen(c.error), RESULT_TEXT_CAP) });
  });
  if (run.rejected > 0) recovery.push(`${run.rejected} sandbox report line(s) rejected (forged or malformed)`);
  if (run.outputNote) recovery.push(run.outputNote);
  const tampered = [...run.tampered, ...unexpectedTests(key, run)];
  if (tampered.length > 0) {
    // Only a tampered harness sends these: nothing of this run is credited until a person has looked.
    result.review = `the sandbox's reports were tampered with: ${tampered.slice(0, 5).join('; ')}${tampered.length > 5 ? ` (and ${tampered.length - 5} more)` : ''}`;
    recovery.push(`marked for review, not credited: ${result.review}`);
    return finishWith(judge(key, run, plan).map((t) => ({ ...t, points: 0, passed: false, message: 'not credited: marked for review (see the notes)' })));
  }
  return finishWith(judge(key, run, plan));
}

export type { NotebookCell };
