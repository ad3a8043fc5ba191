/** Shared by the homework tests: grade chosen sample submissions of a homework through the real autograder. */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { autogradeBatch, BatchSummary } from '../src/autograde/batch';
import type { AnswerKey, SubmissionResult } from '../src/autograde/grade';
import { loadAssignment, readNotebook, toSourceLines, type Assignment } from '../src/autograde/notebook';
import { releaseAssignment } from '../src/autograde/release';
import { ROOT } from './autograde-helpers';

export interface Graded {
  summary: BatchSummary;
  key: AnswerKey;
  dir: string;
  result: (id: string) => SubmissionResult;
  /** Ids of the failed tests of a result (manual cells left out). */
  failed: (id: string) => string[];
}

/** Reference code of every solution cell, as a student would type it (markers removed). */
export function referenceSolutions(a: Assignment): Map<string, string> {
  return new Map(
    a.cells
      .filter((c) => c.meta?.kind === 'solution')
      .map((c) => [c.meta!.id, c.code.split('\n').filter((l) => !/\/\/ (BEGIN|END) SOLUTION/.test(l)).join('\n')]),
  );
}

/**
 * Grade `only` of the samples in data/<hw>/ (with their manifest), plus the released stub and the
 * reference solution typed into the released notebook (as students `reference` and `stub`).
 */
export async function gradeSamples(source: string, hw: string, only: string[]): Promise<Graded> {
  const dir = mkdtempSync(join(tmpdir(), `ck-${hw}-samples-`));
  const subs = join(dir, 'submissions');
  mkdirSync(subs);
  const a = loadAssignment(readNotebook(source), hw, source);
  const released = releaseAssignment(a);
  const reference = structuredClone(released);
  const solutions = referenceSolutions(a);
  for (const cell of reference.cells) {
    const id = (cell.metadata.course_kit as { id?: string; kind?: string } | undefined)?.id;
    if (id && solutions.has(id)) cell.source = toSourceLines(solutions.get(id)!);
  }
  writeFileSync(join(subs, 'reference.ipynb'), JSON.stringify(reference));
  writeFileSync(join(subs, 'stub.ipynb'), JSON.stringify(released));
  // The chosen rows of the sample manifest, their files copied next to the two above.
  const manifest = readFileSync(join(ROOT, 'data', hw, 'manifest.csv'), 'utf8').trim().split('\n');
  const rows = [manifest[0], 'reference,reference.ipynb,2027-01-01T12:00:00Z', 'stub,stub.ipynb,2027-01-01T12:00:00Z'];
  for (const line of manifest.slice(1)) {
    const [id, file] = line.split(',');
    if (!only.includes(id)) continue;
    rows.push(line);
    if (file) writeFileSync(join(subs, file), readFileSync(join(ROOT, 'data', hw, 'submissions', file)));
  }
  writeFileSync(join(dir, 'manifest.csv'), rows.join('\n') + '\n');
  const keyPath = join(dir, 'answer-key.json');
  const summary = await autogradeBatch({
    source, submissionsDir: subs, manifest: join(dir, 'manifest.csv'), outDir: join(dir, 'results'), keyPath, progress: false,
  });
  const key = JSON.parse(readFileSync(keyPath, 'utf8')) as AnswerKey;
  const result = (id: string) => {
    const r = summary.results.find((x) => x.student_id === id);
    if (!r) throw new Error(`no result for ${id}`);
    return r;
  };
  const failed = (id: string) => result(id).tests.filter((t) => !t.passed && t.message !== 'needs manual grading').map((t) => t.id);
  return { summary, key, dir, result, failed };
}

/** Points are split exactly: at most 2 decimals per test, each test cell's tests sum to its points. */
export function pointProblems(a: Assignment, key: AnswerKey): string[] {
  const problems: string[] = [];
  for (const t of key.tests) {
    if (Math.abs(t.points * 100 - Math.round(t.points * 100)) > 1e-9) problems.push(`${t.id}: ${t.points} points has more than 2 decimals`);
  }
  for (const c of a.cells) {
    if (c.meta?.kind !== 'tests') continue;
    const sum = key.tests.filter((t) => t.cellId === c.meta!.id).reduce((s, t) => s + Math.round(t.points * 100), 0);
    if (sum !== Math.round(c.meta.points! * 100)) problems.push(`${c.meta.id}: tests sum to ${sum / 100}, the cell has ${c.meta.points}`);
  }
  return problems;
}

/**
 * Independence of questions: a hidden region that redeclares a function of a solution cell (the
 * reference version used to grade a later question) must hold exactly the reference code of that cell.
 */
export function staleReferenceCopies(a: Assignment): string[] {
  const problems: string[] = [];
  const solutions = referenceSolutions(a);
  const declares = (code: string) => [...code.matchAll(/^function\s+([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]);
  for (const c of a.cells) {
    if (c.meta?.kind !== 'tests') continue;
    const hidden = c.segments.filter((s) => s.region === 'hidden').map((s) => s.code).join('\n');
    for (const [id, code] of solutions) {
      const names = declares(code);
      if (names.some((n) => declares(hidden).includes(n)) && !hidden.includes(code)) {
        problems.push(`${c.meta.id}: its copy of ${id} (${names.join(', ')}) differs from the reference solution`);
      }
    }
  }
  return problems;
}
