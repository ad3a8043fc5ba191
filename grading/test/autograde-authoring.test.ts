/**
 * Issue 13 (authoring): the complete minimal example of the autograder
 * README releases, grades and imports through `npm start` under its own
 * assignment id; release refuses a setup cell that does not import what the
 * tests call and a reference solution that fails a test; points split in
 * hundredths that sum exactly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'csv-parse/sync';
import { loadAssignment, parseNotebook, Notebook } from '../src/autograde/notebook';
import { releaseNotebook } from '../src/autograde/release';
import { releaseChecked } from '../src/autograde/batch';
import { courseLibExports, missingImports } from '../src/autograde/authoring';
import { splitPoints } from '../src/autograde/points';
import { runPipeline } from '../src/pipeline';
import { ROOT, ensureBuilt } from './autograde-helpers';
import { SMALL_COURSE, tempDir, writeFile } from './gradebook-fixtures';

/** The JSON notebook of the README's "complete minimal example". */
function readmeExample(): Notebook {
  const text = readFileSync(join(ROOT, 'grading', 'src', 'autograde', 'README.md'), 'utf8');
  const at = text.indexOf('complete minimal example');
  const m = /```json\n([\s\S]*?)\n```/.exec(text.slice(at));
  return parseNotebook(m![1]!, 'README example');
}

const lines = (nb: Notebook, id: string) => nb.cells.find((c) => (c.metadata.course_kit as { id?: string } | undefined)?.id === id)!;

describe('authoring checks', () => {
  beforeAll(() => ensureBuilt());

  it('points split in hundredths that sum exactly', () => {
    expect(splitPoints(10, 3)).toEqual([3.34, 3.33, 3.33]);
    expect(splitPoints(20, 6)).toEqual([3.34, 3.34, 3.33, 3.33, 3.33, 3.33]);
    expect(splitPoints(15, 4)).toEqual([3.75, 3.75, 3.75, 3.75]);
    for (const [total, n] of [[10, 3], [7, 9], [100, 7], [0.5, 3]] as const) {
      const cents = splitPoints(total, n).map((p) => Math.round(p * 100));
      expect(cents.reduce((a, b) => a + b, 0)).toBe(Math.round(total * 100));
      expect(splitPoints(total, n).every((p) => Number(p.toFixed(2)) === p)).toBe(true);
    }
    expect(() => splitPoints(1.005, 2)).toThrow(/more than 2 decimals/);
  });

  it('the README example: metadata documented, setup imports what tests call', () => {
    const nb = readmeExample();
    expect(nb.metadata.course_kit).toMatchObject({ assignment: 'lab1', canvas_id: '4711' });
    const a = loadAssignment(nb, 'lab1');
    expect(missingImports(a, courseLibExports())).toEqual([]);
  });

  it('a setup cell that does not import hiddenTests (written by release) is refused, naming cell and name; nothing is written', () => {
    const nb = readmeExample();
    lines(nb, 'setup').source = ["import { test, check } from '@course-kit/lib';"];
    const dir = tempDir('authoring-');
    const source = writeFile(dir, 'lab1.source.ipynb', JSON.stringify(nb));
    expect(() => releaseNotebook({ source, out: join(dir, 'out', 'lab1.ipynb') }))
      .toThrow(/lab1: cell #4 \(q1-tests\) calls hiddenTests \(release writes it in place of the hidden tests\), which no cell before it imports/);
    expect(existsSync(join(dir, 'out', 'lab1.ipynb'))).toBe(false);
    // A name in a string or a comment is not a call; a helper the setup cell declares itself is fine.
    lines(nb, 'setup').source = ["import { test, check, hiddenTests } from '@course-kit/lib';\n", "// relu(x) would be nice\n", "function softmax(z: number[]) { return z; }"];
    lines(nb, 'q1-tests').source = [...(lines(nb, 'q1-tests').source as string[]), "\ntest('q1.s', 'uses softmax( and relu(', () => softmax([1])[0], { expect: 1 });"];
    expect(missingImports(loadAssignment(nb, 'lab1'), courseLibExports())).toEqual([]);
  });

  it('a reference solution that fails a visible test is refused at release, naming the test', async () => {
    const nb = readmeExample();
    lines(nb, 'q1-tests').source = (lines(nb, 'q1-tests').source as string[]).map((l) => l.replace('{ expect: 0.5 }', '{ expect: 0.25 }'));
    const dir = tempDir('authoring-');
    const source = writeFile(dir, 'lab1.source.ipynb', JSON.stringify(nb));
    await expect(releaseChecked({ source, out: join(dir, 'out', 'lab1.ipynb') })).rejects.toThrow(/the reference solution does not meet the stated expect of q1\.zero/);
    expect(existsSync(join(dir, 'out', 'lab1.ipynb'))).toBe(false);
  }, 60_000);
});

describe('npm start grades every assignment of the course config, whatever its name', () => {
  it('releases, grades and imports lab1 (the README example) found by its metadata in the data folder', async () => {
    const data = tempDir('course-');
    const build = tempDir('build-');
    const course = SMALL_COURSE.replace(/assignments:\n(  - .*\n)+/, 'assignments:\n' +
      '  - { id: lab1, title: Lab 1, component: homework, max_points: 10, due: "2027-04-09T23:59" }\n' +
      '  - { id: seminar, title: Seminar summary, component: seminar, max_points: 20, due: "2027-06-05T10:00" }\n' +
      '  - { id: project, title: Project report, component: project, max_points: 100, due: "2027-06-10T23:59", team: true }\n');
    writeFile(data, 'course.yaml', course);
    writeFile(data, 'roster.csv', 'student_id,name,email,section,team\na01,A,a01@example.edu,A,t1\na02,B,a02@example.edu,A,t1\n');
    const nb = readmeExample();
    writeFile(data, join('notebooks', 'logistic.source.ipynb'), JSON.stringify(nb)); // the file name says nothing of lab1
    mkdirSync(join(data, 'lab1', 'submissions'), { recursive: true });
    const student = structuredClone(nb);
    lines(student, 'q1-solution').source = ['function logistic(x: number): number {\n', '  return 1 / (1 + Math.exp(-x));\n', '}'];
    writeFileSync(join(data, 'lab1', 'submissions', 'a01.ipynb'), JSON.stringify(student));
    writeFileSync(join(data, 'lab1', 'manifest.csv'), 'student_id,file,submitted_at\na01,a01.ipynb,2027-04-10T01:00:00-07:00\na02,,\n');
    await runPipeline({ data, build, force: false, jobs: 1 });
    expect(existsSync(join(build, 'lab1', 'release', 'lab1.ipynb'))).toBe(true);
    expect(JSON.parse(readFileSync(join(build, 'lab1', 'results', 'a01.json'), 'utf8'))).toMatchObject({ assignment: 'lab1', status: 'ok', points: 10 });
    const rows = parse(readFileSync(join(build, 'grades', 'grades.csv')), { columns: true }) as Record<string, string>[];
    // a01: 1 h 1 min late → 1 period → 10 % of 10 points.
    expect([rows[0]!.lab1_status, rows[0]!.lab1_raw, rows[0]!.lab1_late_periods, rows[0]!.lab1_final]).toEqual(['late', '10', '1', '9']);
    expect([rows[1]!.lab1_status, rows[1]!.lab1_final]).toEqual(['missing', '0']);
    // Submissions of an assignment that has no source notebook are an error naming what to do.
    mkdirSync(join(data, 'seminar', 'submissions'), { recursive: true });
    await expect(runPipeline({ data, build, force: false })).rejects.toThrow(/seminar has submissions .* but no source notebook: set source: on the assignment in course\.yaml/);
  }, 120_000);
});
