/**
 * The manual (written answer) cell kind: validated in the source notebook, released as a placeholder
 * without the model answer or rubric, graded by autograde as "needs manual grading" (not rejected),
 * and shown on the feedback page with its rubric score and comment once graded on the page.
 */
import { readFileSync, rmSync } from 'fs';
import { join } from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autogradeBatch, type BatchSummary } from '../src/autograde/batch';
import { feedbackHtml, writeFeedback } from '../src/autograde/feedback';
import { loadAssignment, type Notebook } from '../src/autograde/notebook';
import { MANUAL_PLACEHOLDER, releaseAssignment } from '../src/autograde/release';
import { gradeOf, importResults, openGradebook } from '../src/gradebook';
import { saveScore } from '../src/manual/store';
import { ensureBuilt } from './autograde-helpers';
import { MODEL_ANSWER, manualCourse, sourceNotebook, type ManualCourse } from './manual-fixtures';

const manualCell = (nb: Notebook) => nb.cells.find((c) => (c.metadata.course_kit as { kind?: string } | undefined)?.kind === 'manual')!;
const meta = (nb: Notebook) => manualCell(nb).metadata.course_kit as Record<string, any>;

describe('manual cells in the source notebook', () => {
  it('count towards the points and keep their rubric', () => {
    const a = loadAssignment(sourceNotebook(), 'wa');
    expect(a.maxPoints).toBe(10);
    expect(a.manualPoints).toBe(6);
    expect(a.cells.find((c) => c.meta?.kind === 'manual')!.meta!.rubric).toHaveLength(3);
  });

  it.each([
    ['a code cell', (nb: Notebook) => { manualCell(nb).cell_type = 'code'; }, /must be a markdown cell/],
    ['no rubric', (nb: Notebook) => { delete meta(nb).rubric; }, /needs a rubric/],
    ['rubric points not summing to the points', (nb: Notebook) => { meta(nb).points = 7; }, /rubric points sum to 6, the item has 7/],
    ['a criterion used twice', (nb: Notebook) => { meta(nb).rubric[1].id = 'bound'; }, /"bound" is used twice/],
    ['no points', (nb: Notebook) => { delete meta(nb).points; }, /manual cell without positive course_kit.points/],
    ['no question', (nb: Notebook) => { delete meta(nb).question; }, /manual cell without course_kit.question/],
  ])('are rejected with %s, naming the cell', (_name, damage, message) => {
    const nb = sourceNotebook();
    damage(nb);
    expect(() => loadAssignment(nb, 'wa')).toThrow(message);
    expect(() => loadAssignment(nb, 'wa')).toThrow(/cell #6 \(q2-written\)/);
  });

  it('are released as an answer cell with a placeholder, no model answer, no rubric', () => {
    const released = releaseAssignment(loadAssignment(sourceNotebook(), 'wa'));
    const cell = manualCell(released);
    expect(cell.cell_type).toBe('markdown');
    expect(cell.source).toEqual([MANUAL_PLACEHOLDER]);
    expect(cell.metadata.course_kit).toEqual({ id: 'q2-written', kind: 'manual', question: 'q2', points: 6 });
    const text = JSON.stringify(released);
    expect(text).not.toContain(MODEL_ANSWER);
    expect(text).not.toContain('Explains the product over layers');
  });
});

describe('autograde with a written answer', () => {
  let course: ManualCourse;
  let summary: BatchSummary;
  beforeAll(async () => {
    ensureBuilt();
    course = manualCourse();
    summary = await autogradeBatch({
      source: course.source, submissionsDir: join(course.dir, 'wa', 'submissions'), manifest: join(course.dir, 'wa', 'manifest.csv'),
      outDir: join(course.dir, 'wa', 'results'), progress: false, concurrency: 1,
    });
  });
  afterAll(() => { if (course) rmSync(course.dir, { recursive: true, force: true }); });

  it('leaves it "needs manual grading" instead of rejecting it', () => {
    const r = summary.results.find((x) => x.student_id === 'a01')!;
    expect(r.status).toBe('ok');
    expect(r.points).toBe(4);
    expect(r.max_points).toBe(10);
    expect(r.tests.find((t) => t.id === 'q2-written')).toMatchObject({ manual: true, points: 0, max_points: 6, message: 'needs manual grading', passed: false });
    expect(r.recovery.join(' ')).not.toMatch(/q2-written/); // an edited answer cell is not "an edited instructor cell"
  });

  it('adds the rubric score in the gradebook and shows it with the comment on the feedback page', () => {
    const db = openGradebook(course.db);
    importResults(db, join(course.dir, 'wa', 'results'));
    const a = loadAssignment(sourceNotebook(), 'wa');
    const rubric = a.cells.find((c) => c.meta?.kind === 'manual')!.meta!.rubric!;
    saveScore(db, { assignment: 'wa', item: 'q2-written', studentId: 'a01', rubric, points: { bound: 2, clear: 1 }, comment: 'Name the chain rule <explicitly>.', grader: 'ta', baseVersion: 0 });
    expect(gradeOf(db, 'a01').items.find((i) => i.assignment === 'wa')!.raw).toBe(7);
    importResults(db, join(course.dir, 'wa', 'results')); // a re-import changes nothing of it
    expect(gradeOf(db, 'a01').items.find((i) => i.assignment === 'wa')!.raw).toBe(7);
    db.close();
    const pending = feedbackHtml(summary.results.find((x) => x.student_id === 'a02')!);
    expect(pending).toContain('needs manual grading');
    expect(pending).toContain('(written answers not graded yet)');
    const out = join(course.dir, 'feedback');
    writeFeedback({ resultsDir: join(course.dir, 'wa', 'results'), outDir: out, gradebook: course.db });
    const page = readFileSync(join(out, 'a01.html'), 'utf8');
    expect(page).toContain('Name the chain rule &lt;explicitly&gt;.');
    expect(page).toContain('States the bound y(1 − y) ≤ 1/4: 2/2');
    expect(page).toContain('<strong>7/10</strong>');
    expect(page).not.toContain('needs manual grading');
  });
});
