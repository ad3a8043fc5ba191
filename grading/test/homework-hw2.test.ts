/**
 * Homework 2 as shipped: same source format, same autograder. The reference solution scores every
 * autograded point (Q6 is a written answer left for manual grading), the released stub 0, and the
 * sample submissions in data/hw2 (data/hw2/make-samples.mjs) score exactly what their mistakes cost;
 * the course config lists hw2 in the homework component next to hw1.
 */
import { join } from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCourseConfig } from '../src/gradebook/config';
import { loadManualItems } from '../src/manual/items';
import { loadAssignment, readNotebook } from '../src/autograde/notebook';
import { ROOT, ensureBuilt } from './autograde-helpers';
import { Graded, gradeSamples, pointProblems, staleReferenceCopies } from './homework-helpers';

const HW2_SOURCE = join(ROOT, 'notebooks', 'hw2-training', 'hw2-training.source.ipynb');
const assignment = loadAssignment(readNotebook(HW2_SOURCE), 'hw2', HW2_SOURCE);
let g: Graded;

beforeAll(async () => {
  ensureBuilt();
  // s002 correct but late; s006 unstable log-sum-exp; s008 W2 updated before backpropagating;
  // s012 running-mean training loss; s014 learning rate too small; s016 early stopping returns an index;
  // s018 training loop throws.
  g = await gradeSamples(HW2_SOURCE, 'hw2', ['s002', 's006', 's008', 's012', 's014', 's016', 's018']);
}, 600_000);

describe('homework 2', () => {
  it('gives the reference every autograded point, the stub 0, and leaves the written answer to a person', () => {
    expect(assignment.maxPoints).toBe(100);
    expect(assignment.manualPoints).toBe(10);
    expect(g.result('reference')).toMatchObject({ status: 'ok', points: 90, max_points: 100 });
    expect(g.failed('reference')).toEqual([]);
    expect(g.result('reference').tests.find((t) => t.id === 'q6-answer')).toMatchObject({ message: 'needs manual grading', max_points: 10 });
    expect(g.result('stub')).toMatchObject({ status: 'ok', points: 0 });
  });

  it('scores the partly wrong, throwing and late samples', () => {
    expect(g.result('s002')).toMatchObject({ points: 90, submitted_at: expect.stringMatching(/^2027-05-16/) });
    expect([g.result('s006').points, g.failed('s006')]).toEqual([88, ['q1.loss-large']]);
    expect([g.result('s008').points, g.failed('s008')]).toEqual([75, ['q2.step-batch', 'q2.step-is-gradient', 'q2.three-steps', 'q2.step']]);
    expect([g.result('s012').points, g.failed('s012')]).toEqual([80, ['q3.xor-history', 'q3.end-weights', 'q3.xor-first-epoch']]);
    expect([g.result('s014').points, g.failed('s014')]).toEqual([80, ['q4.val-accuracy']]);
    expect([g.result('s016').points, g.failed('s016')]).toEqual([83, ['q5.best', 'q5.best-tie', 'q5.best-first']]);
    // The throwing training loop costs Q3 only: Q4 trains the student's settings with the reference loop.
    expect(g.result('s018').points).toBe(72);
    expect(new Set(g.failed('s018').map((id) => id.split('.')[0]))).toEqual(new Set(['q3']));
  });

  it('splits points exactly and keeps its reference copies in step', () => {
    expect(pointProblems(assignment, g.key)).toEqual([]);
    expect(g.key.tests.reduce((s, t) => s + t.points, 0)).toBe(90);
    expect(staleReferenceCopies(assignment)).toEqual([]);
  });

  it('is listed in the course config: homework = mean of hw1 and hw2, Q6 on the manual grading page', () => {
    const configFile = join(ROOT, 'data', 'course.yaml');
    const config = loadCourseConfig(configFile);
    expect(config.assignments.filter((a) => a.component === 'homework').map((a) => [a.id, a.max_points])).toEqual([['hw1', 100], ['hw2', 100]]);
    expect(config.components.find((c) => c.id === 'homework')!.weight).toBe(25);
    expect(loadManualItems(configFile, config).find((i) => i.assignment === 'hw2')).toMatchObject({ item: 'q6-answer', maxPoints: 10, kind: 'written' });
  });
});
