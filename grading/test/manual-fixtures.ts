/**
 * A small course for the manual grading tests, in a temp folder: 4 students, a homework "wa" with one
 * autograded question and one written answer (a manual cell with a rubric), and a seminar summary item
 * (text and PDF files + manifest; one listed file missing, one student without submission).
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { toSourceLines, type Notebook } from '../src/autograde/notebook';
import { initCourse, importRoster, openGradebook } from '../src/gradebook';

export const DATA = resolve(__dirname, '..', '..', 'data');

const code = (id: string, kind: string, src: string, extra: Record<string, unknown> = {}) => ({
  cell_type: 'code' as const, execution_count: null, outputs: [], source: toSourceLines(src), metadata: { course_kit: { id, kind, ...extra } },
});
const md = (src: string, meta: Record<string, unknown> = {}) => ({ cell_type: 'markdown' as const, source: toSourceLines(src), metadata: meta });

export const MODEL_ANSWER = 'The derivative y(1 − y) is at most 1/4, so the error signal shrinks by at least 4× per logistic layer it passes.';

/** The source notebook: q1 autograded (4 points), q2 written (6 points, rubric of 3 criteria). */
export function sourceNotebook(): Notebook {
  return {
    nbformat: 4, nbformat_minor: 5,
    metadata: { kernelspec: { name: 'course-kit-tslab', display_name: 'TypeScript (course kit)', language: 'typescript' }, course_kit: { assignment: 'wa' } },
    cells: [
      md('# A tiny homework'),
      code('setup', 'setup', "import { test, check, hiddenTests } from '@course-kit/lib';"),
      code('q1-solution', 'solution', 'function double(x: number): number {\n  // BEGIN SOLUTION\n  return 2 * x;\n  // END SOLUTION\n}', { question: 'q1' }),
      code('q1-tests', 'tests', "test('q1.two', 'double(2) is 4', () => double(2), { expect: 4 });\n// BEGIN HIDDEN TESTS\ntest('q1.neg', 'double(-3)', () => double(-3));\n// END HIDDEN TESTS\ncheck('q1');", { question: 'q1', points: 4 }),
      md('## Q2 (6 points, written) — why do gradients vanish in deep logistic nets?'),
      md(MODEL_ANSWER, {
        course_kit: {
          id: 'q2-written', kind: 'manual', question: 'q2', points: 6,
          rubric: [
            { id: 'bound', text: 'States the bound y(1 − y) ≤ 1/4', points: 2 },
            { id: 'product', text: 'Explains the product over layers', points: 3 },
            { id: 'clear', text: 'Clear and short', points: 1 },
          ],
        },
      }),
    ],
  };
}

export const STUDENTS = [
  { id: 'a01', name: 'Ada Quill' },
  { id: 'a02', name: 'Bo Fernwright' },
  { id: 'a03', name: 'Cy Lanternby' },
  { id: 'a04', name: 'Di Marrow' },
];

export interface ManualCourse {
  dir: string;
  config: string;
  db: string;
  source: string;
}

/**
 * Writes the course into a temp folder and initialises a gradebook there. `answers` are the written
 * answers per student (a student without one submits no notebook).
 */
export function manualCourse(answers: Record<string, string> = { a01: 'Because y(1-y) <= 1/4 and the chain rule multiplies it per layer.', a02: 'It is small.' }): ManualCourse {
  const dir = mkdtempSync(join(tmpdir(), 'course-kit-manual-'));
  const source = join(dir, 'wa.source.ipynb');
  const nb = sourceNotebook();
  writeFileSync(source, JSON.stringify(nb, null, 1));
  writeFileSync(join(dir, 'roster.csv'), 'student_id,name,email,section,team\n' + STUDENTS.map((s) => `${s.id},${s.name},${s.id}@example.edu,A,t1`).join('\n') + '\n');
  mkdirSync(join(dir, 'wa', 'submissions'), { recursive: true });
  const manifest = ['student_id,file,submitted_at'];
  for (const [id, answer] of Object.entries(answers)) {
    const sub = structuredClone(nb);
    for (const c of sub.cells) {
      const m = c.metadata.course_kit as { kind?: string } | undefined;
      if (m?.kind === 'manual') c.source = toSourceLines(answer);
    }
    writeFileSync(join(dir, 'wa', 'submissions', `${id}.ipynb`), JSON.stringify(sub));
    manifest.push(`${id},${id}.ipynb,2027-04-16T20:00`);
  }
  writeFileSync(join(dir, 'wa', 'manifest.csv'), manifest.join('\n') + '\n');
  mkdirSync(join(dir, 'seminar'));
  writeFileSync(join(dir, 'seminar', 'a01.txt'), 'Summary of the talk <script>alert(1)</script> on momentum.\n');
  copyFileSync(join(DATA, 'seminar', 's003-summary.pdf'), join(dir, 'seminar', 'a02.pdf'));
  writeFileSync(join(dir, 'seminar', 'manifest.csv'),
    'student_id,file,submitted_at\na01,a01.txt,2027-06-05T14:25\na02,a02.pdf,2027-06-05T09:00\na03,a03.txt,2027-06-05T09:30\n');
  const config = join(dir, 'course.yaml');
  writeFileSync(config, `course: { id: tiny, title: "Tiny course", term: T, time_zone: America/Los_Angeles }
components:
  - { id: homework, title: Homework, weight: 50 }
  - { id: seminar, title: Seminar summary, weight: 50 }
assignments:
  - { id: wa, title: "Homework WA", component: homework, max_points: 10, due: "2027-04-16T23:59" }
  - { id: seminar, title: Seminar summary, component: seminar, max_points: 10, due: "2027-06-05T10:00" }
letters:
  - { letter: A, min: 90 }
  - { letter: F, min: 0 }
manual_grading:
  - assignment: seminar
    item: summary
    manifest: seminar/manifest.csv
    submissions: seminar
    rubric:
      - { id: content, text: "Explains the talk", points: 6 }
      - { id: critique, text: "Critique", points: 4 }
  - assignment: wa
    item: q2-written
    notebook: wa.source.ipynb
    manifest: wa/manifest.csv
    submissions: wa/submissions
`);
  const db = join(dir, 'gradebook.sqlite');
  const g = openGradebook(db);
  initCourse(g, config);
  importRoster(g, join(dir, 'roster.csv'));
  g.close();
  return { dir, config, db, source };
}
