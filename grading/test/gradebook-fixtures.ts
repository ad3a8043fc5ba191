import { mkdtempSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { vi } from 'vitest';
import { buildProgram } from '../src/cli/gradebook';

/** Shared helpers of the gradebook tests: temp folders and small course files. */

export const DATA = join(__dirname, '..', '..', 'data');

export function tempDir(prefix = 'gradebook-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** A small course: two homeworks (20 % + 20 % as one 40 % component), seminar 20 %, team project 40 %. */
export const SMALL_COURSE = `course:
  id: test-course
  title: Test course
  term: Spring 2027
  time_zone: America/Los_Angeles
components:
  - { id: homework, title: Homework, weight: 40 }
  - { id: seminar, title: Seminar, weight: 20 }
  - { id: project, title: Project, weight: 40 }
late_policy:
  percent: 10
  max_late_days: 5
  applies_to: [homework]
assignments:
  - { id: hw1, title: HW 1, component: homework, max_points: 100, due: "2027-04-16T23:59" }
  - { id: hw2, title: HW 2, component: homework, max_points: 50, due: "2027-05-07T23:59" }
  - { id: seminar, title: Seminar summary, component: seminar, max_points: 20, due: "2027-06-05T10:00" }
  - { id: project, title: Project report, component: project, max_points: 100, due: "2027-06-10T23:59", team: true }
letters:
  - { letter: A+, min: 97 }
  - { letter: A, min: 93 }
  - { letter: A-, min: 90 }
  - { letter: B+, min: 87 }
  - { letter: B, min: 83 }
  - { letter: B-, min: 80 }
  - { letter: C+, min: 77 }
  - { letter: C, min: 73 }
  - { letter: C-, min: 70 }
  - { letter: D+, min: 67 }
  - { letter: D, min: 63 }
  - { letter: D-, min: 60 }
  - { letter: F, min: 0 }
rounding: { decimals: 2 }
`;

export const SMALL_ROSTER = `student_id,name,email,section,team
a01,Ada Testperson,a01@example.edu,A,t1
a02,Bo Testperson,a02@example.edu,A,t1
a03,Cy Testperson,a03@example.edu,B,t2
a04,Di Testperson,a04@example.edu,B,t2
`;

/** One autograder result as the autograder writes it. */
export function result(student: string, points: number, submittedAt: string | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    assignment: 'hw1',
    student_id: student,
    status: submittedAt === null ? 'no-submission' : 'ok',
    points,
    max_points: 100,
    submitted_at: submittedAt,
    tests: [{ id: 'q1-a', question: 'q1', hidden: false, points, max_points: 100, passed: points === 100, message: '' }],
    graded_at: '2027-04-20T10:00:00-07:00',
    ...extra,
  };
}

/** Runs the gradebook CLI in-process and returns what it printed and its exit code. */
export async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = 0;
  try {
    const program = buildProgram().exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    await program.parseAsync(args, { from: 'user' });
  } catch (x) {
    if ((x as { code?: string }).code !== 'commander.helpDisplayed') throw x;
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}
