/**
 * Homework 1 as shipped: the wrong answers students really write (sample submissions in data/hw1,
 * written by data/hw1/make-samples.mjs) get exact scores through the real autograder, a visible test
 * catches each of them before submission, a wrong answer costs points once (questions are graded
 * independently), points are split exactly, and feedback names hidden tests without their values.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { feedbackHtml } from '../src/autograde/feedback';
import { loadAssignment, readNotebook } from '../src/autograde/notebook';
import { HW1_SOURCE, ensureBuilt } from './autograde-helpers';
import { Graded, gradeSamples, pointProblems, staleReferenceCopies } from './homework-helpers';

const assignment = loadAssignment(readNotebook(HW1_SOURCE), 'hw1', HW1_SOURCE);
let g: Graded;

beforeAll(async () => {
  ensureBuilt();
  // s001 correct; s007 wrong Q1; s011 unstable softmax; s013 perceptron always adds x, mutates w;
  // s017 no hidden slope y(1 − y); s021 gradient check never restores w; s023 batch gradient summed.
  g = await gradeSamples(HW1_SOURCE, 'hw1', ['s001', 's007', 's011', 's013', 's017', 's021', 's023']);
}, 600_000);

describe('homework 1', () => {
  it('gives the reference 100, the released stub 0 and a correct sample 100', () => {
    expect(g.result('reference')).toMatchObject({ status: 'ok', points: 100, max_points: 100 });
    expect(g.result('stub')).toMatchObject({ status: 'ok', points: 0 });
    expect(g.result('s001')).toMatchObject({ status: 'ok', points: 100 });
  });

  it('scores the wrong answers students write, and a visible test catches each one', () => {
    const visibleFailures = (id: string) => g.result(id).tests.filter((t) => !t.passed && !t.hidden).map((t) => t.id);
    // Unstable softmax: e^1000 = Infinity, Infinity/Infinity = NaN.
    expect(g.result('s011').points).toBe(94);
    expect(g.failed('s011')).toEqual(['q3.large', 'q3.very-negative', 'q3.grad-large']);
    expect(visibleFailures('s011')).toEqual(['q3.large']);
    // Perceptron rule that always adds x and changes w in place: only the two cases it gets right by luck pass.
    expect(g.result('s013').points).toBe(93);
    expect(g.failed('s013')).toEqual(['q4.subtract', 'q4.no-mutation', 'q4.boundary', 'q4.subtract-2', 'q4.converges']);
    expect(visibleFailures('s013')).toEqual(['q4.subtract', 'q4.no-mutation']);
    // Backward pass without the hidden slope: 17 of the 22 backward points lost (it scored 90 before issue 10).
    expect(g.result('s017').points).toBe(83);
    expect(g.failed('s017')).toEqual(['q2.backward-3x3x2', 'q2.backward-numeric', 'q2.backward-hidden']);
    expect(visibleFailures('s017')).toEqual(['q2.backward-hidden']);
    // Gradient check that never puts w[i] back.
    expect(g.result('s021').points).toBe(94);
    expect(g.failed('s021')).toEqual(['q5.restores', 'q5.net-loss', 'q5.restores-exactly']);
    expect(visibleFailures('s021')).toEqual(['q5.restores']);
    // Batch gradient summed instead of averaged (Q6), and the gradient check of Q7 is unaffected.
    expect(g.result('s023').points).toBe(85);
    expect(g.failed('s023')).toEqual(['q6.backward-numeric', 'q6.backward-batch', 'q6.batch-mean', 'q6.backward-example']);
  });

  it('grades questions independently: a wrong Q1 costs Q1 points only, though Q2 calls it', () => {
    expect(g.result('s007').points).toBe(94);
    expect(new Set(g.failed('s007').map((id) => id.split('.')[0]))).toEqual(new Set(['q1']));
    // The student's backward() really calls the student's logisticDerivative: it is the graded Q2 code.
    expect(readFileSync(join(g.dir, 'submissions', 's007-hw1.ipynb'), 'utf8')).toMatch(/logisticDerivative\(y\)\);/);
    expect(staleReferenceCopies(assignment)).toEqual([]);
  });

  it('splits points exactly, backward passes worth more than forward passes', () => {
    expect(pointProblems(assignment, g.key)).toEqual([]);
    expect(g.key.tests.reduce((s, t) => s + t.points, 0)).toBe(100);
    const points = (q: string, part: string) => g.key.tests.filter((t) => t.question === q && t.id.includes(part)).reduce((s, t) => s + t.points, 0);
    expect(points('q2', 'backward')).toBeGreaterThan(points('q2', 'forward'));
    expect(points('q6', 'backward') + points('q6', 'batch-mean')).toBeGreaterThan(points('q6', 'loss'));
    for (const r of g.summary.results) expect(Math.round(r.points * 100) / 100).toBe(r.points);
  });

  it('asks for a derivation, a batched backward pass and a gradient check of the student\'s own backward pass', () => {
    const ids = g.key.tests.map((t) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['q6.backward-numeric', 'q6.batch-mean', 'q7.my-backward', 'q7.detects-slope']));
    const q6 = assignment.cells.find((c) => c.meta?.id === 'q6-solution')!;
    expect(q6.segments.filter((s) => s.region !== 'solution').map((s) => s.code).join('\n')).not.toMatch(/1 - y \* y|\(y_k − t_k\)/);
  });

  it('feedback names every hidden test with its description, never its values', () => {
    const r = g.result('s017');
    const html = feedbackHtml(r);
    for (const t of r.tests.filter((x) => x.hidden)) {
      expect(html).toContain(`<code>${t.id}</code> <em>(hidden)</em>`);
      expect(html).toContain(t.description.replace(/'/g, '&#39;'));
    }
    const hiddenKey = g.key.tests.find((t) => t.id === 'q2.backward-3x3x2')!;
    const someValue = JSON.stringify(hiddenKey.expected).match(/-?\d\.\d{8,}/)![0];
    expect(html).not.toContain(someValue.slice(0, 10));
    expect(html).toMatch(/q2\.backward-numeric<\/code> <em>\(hidden\)<\/em><\/td><td>[^<]*finite differences[^<]*<\/td><td>0\/5<\/td><td>wrong value/);
  });
});
