/**
 * Issue 13 (gradebook): daylight-saving edges, team size across imports,
 * overrides that stand, --db that never creates, lateness and status shown
 * everywhere, Canvas missing/final-grade exports, capped adjustments and
 * extra credit, autograde failures shown until resolved.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'csv-parse/sync';
import {
  Db, canvasCsv, computeFinalGrades, exportGradesCsv, getConfig, gradeOf, importExtensions, importManifest, importResults,
  importRoster, importScores, initCourse, loadCourseConfig, openGradebook, parseTime, resolveResult, runCourse, setOverride, writeReports,
} from '../src/gradebook';
import { readManifest } from '../src/autograde/batch';
import { DATA, SMALL_COURSE, SMALL_ROSTER, cli, result, tempDir, writeFile } from './gradebook-fixtures';

const LA = 'America/Los_Angeles';

function small(course = SMALL_COURSE): { db: Db; dir: string } {
  const dir = tempDir();
  const db = openGradebook(join(dir, 'g.sqlite'));
  initCourse(db, writeFile(dir, 'course.yaml', course));
  importRoster(db, writeFile(dir, 'roster.csv', SMALL_ROSTER));
  return { db, dir };
}

describe('daylight-saving transitions', () => {
  it('a wall-clock time in the repeated fall-back hour is rejected; with an offset it is either instant', () => {
    const r = parseTime('2027-11-07 01:30', LA);
    expect('error' in r && r.error).toMatch(/ambiguous in America\/Los_Angeles.*2027-11-07 01:30:00-07:00 for the first, 2027-11-07 01:30:00-08:00 for the second/);
    const first = parseTime('2027-11-07T01:30:00-07:00', LA);
    const second = parseTime('2027-11-07T01:30:00-08:00', LA);
    expect('time' in first && 'time' in second && second.time.toMillis() - first.time.toMillis()).toBe(3_600_000);
    // Just outside the repeated hour: unambiguous.
    expect('time' in parseTime('2027-11-07 00:59', LA)).toBe(true);
    expect('time' in parseTime('2027-11-07 02:00', LA)).toBe(true);
    // The skipped spring-forward hour stays an error.
    expect(parseTime('2027-03-14 02:30', LA)).toMatchObject({ error: expect.stringMatching(/does not exist/) });
  });

  const course = (due: string) => SMALL_COURSE.replace('due: "2027-04-16T23:59"', `due: "${due}"`);

  for (const [name, time, pattern] of [['fall-back', '2027-11-07T01:30', /ambiguous/], ['spring-forward', '2027-03-14T02:30', /does not exist/]] as const) {
    it(`${name}: a due date, a submission time and an extension in that hour name file and line`, () => {
      expect(() => loadCourseConfig('course.yaml', course(time))).toThrow(new RegExp(`course\\.yaml:\\d+: assignments\\[0\\]\\.due: .*${pattern.source}`));
      const { db, dir } = small();
      const manifest = writeFile(dir, 'm.csv', `student_id,file,submitted_at\na01,a.ipynb,2027-04-16T20:00\na02,b.ipynb,${time}\n`);
      expect(() => importManifest(db, manifest, 'hw1')).toThrow(new RegExp(`m\\.csv:3: submitted_at: .*${pattern.source}`));
      expect(() => readManifest(manifest, LA)).toThrow(new RegExp(`m\\.csv, line 3: bad submitted_at: .*${pattern.source}`));
      const scores = writeFile(dir, 's.csv', `student_id,points,submitted_at\na01,10,${time}\n`);
      expect(() => importScores(db, scores, 'hw2')).toThrow(new RegExp(`s\\.csv:2: submitted_at: .*${pattern.source}`));
      const ext = writeFile(dir, 'e.csv', `student_id,assignment,kind,days,until,reason\na01,hw1,extension,,${time},ill\n`);
      expect(() => importExtensions(db, ext)).toThrow(new RegExp(`e\\.csv:2: until: .*${pattern.source}`));
      expect(computeFinalGrades(db).every((g) => g.items.every((i) => i.submittedAt === null && i.extension === null))).toBe(true);
    });
  }

  it('with the offset written, the fall-back hour is accepted everywhere and the two instants an hour apart', () => {
    const { db, dir } = small(course('2027-11-07T00:30'));
    importManifest(db, writeFile(dir, 'm.csv', 'student_id,file,submitted_at\na01,a,2027-11-07T01:30:00-07:00\na02,b,2027-11-07T01:30:00-08:00\n'), 'hw1');
    importResults(db, writeFile(dir, 'r.json', JSON.stringify([result('a01', 100, '2027-11-07T01:30:00-07:00'), result('a02', 100, '2027-11-07T01:30:00-08:00')])));
    const [a01, a02] = ['a01', 'a02'].map((s) => gradeOf(db, s).items[0]!);
    expect([a01!.lateHours, a02!.lateHours]).toEqual([1, 2]);
  });
});

describe('roster', () => {
  it('team size is checked across roster files: a second file cannot add a fifth member', () => {
    const { db, dir } = small();
    importRoster(db, writeFile(dir, 'more.csv', 'student_id,name,email,section,team\na05,E,a05@example.edu,A,t3\na06,F,a06@example.edu,A,t1\na07,G,a07@example.edu,A,t1\n'));
    expect(() => importRoster(db, writeFile(dir, 'late.csv', 'student_id,name,email,section,team\na08,H,a08@example.edu,A,t1\n')))
      .toThrow(/late\.csv: team: team "t1" would have 5 members, at most 4 allowed \(a01, a02, a06, a07 already in the gradebook\)/);
    // Moving a member out of the team in the same file frees the place.
    importRoster(db, writeFile(dir, 'move.csv', 'student_id,name,email,section,team\na07,G,a07@example.edu,A,t3\na08,H,a08@example.edu,A,t1\n'));
    expect((db.prepare("SELECT count(*) AS n FROM students WHERE team = 't1'").get() as { n: number }).n).toBe(4);
  });
});

describe('overrides', () => {
  it('stand over a later manual CSV, team and autograde import, which say so; only clear removes them', () => {
    const { db, dir } = small();
    importScores(db, writeFile(dir, 'sem.csv', 'student_id,points\na01,12\n'), 'seminar');
    setOverride(db, 'seminar', 'a01', 18, 'appeal');
    const again = importScores(db, writeFile(dir, 'sem2.csv', 'student_id,points\na01,13\na02,15\n'), 'seminar');
    expect(again.notes).toEqual([expect.stringMatching(/^seminar\/a01: the override \(18\) stands; the imported score 13/)]);
    expect(gradeOf(db, 'a01').items[2]).toMatchObject({ raw: 18, source: 'override' });
    setOverride(db, 'project', 'a02', 90);
    expect(importScores(db, writeFile(dir, 't.csv', 'team,points\nt1,70\n'), 'project').notes).toEqual([expect.stringMatching(/^project\/a02: the override \(90\) stands; the imported team score 70/)]);
    setOverride(db, 'hw1', 'a03', 77);
    expect(importResults(db, writeFile(dir, 'r.json', JSON.stringify([result('a03', 50, '2027-04-16T20:00:00-07:00')]))).notes).toHaveLength(1);
    expect(gradeOf(db, 'a03').items[0]!.raw).toBe(77);
    setOverride(db, 'seminar', 'a01', null);
    expect(gradeOf(db, 'a01').items[2]).toMatchObject({ raw: 13, source: 'manual' });
  });

  it('survive npm start (runCourse on the data folder)', () => {
    const build = tempDir();
    runCourse({ dataDir: DATA, buildDir: build });
    const db = openGradebook(join(build, 'gradebook.sqlite'));
    setOverride(db, 'seminar', 's001', 11, 'plagiarised paragraph');
    db.close();
    const again = runCourse({ dataDir: DATA, buildDir: build });
    expect(again.imports.flatMap((s) => s.notes)).toContain('seminar/s001: the override (11) stands; the imported score 19 is kept but not used ("override seminar s001 clear" to use it)');
    expect(again.grades.find((g) => g.studentId === 's001')!.items.find((i) => i.assignment === 'seminar')).toMatchObject({ raw: 11, source: 'override' });
  });
});

describe('CLI', () => {
  it('a mistyped --db never creates a database; only init does', async () => {
    const dir = tempDir();
    const path = join(dir, 'typo', 'gradebok.sqlite');
    for (const args of [['show', 's001'], ['grades', '--out', join(dir, 'o')], ['import-roster', join(DATA, 'roster.csv')], ['audit']]) {
      const r = await cli('--db', path, ...args);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`gradebook: ${path}: no gradebook there (check --db; "gradebook init --config <course.yaml>" creates one)\n`);
      expect(existsSync(path)).toBe(false);
    }
    const empty = writeFile(dir, 'empty.sqlite', '');
    expect((await cli('--db', empty, 'show', 's001')).err).toMatch(/not a gradebook database/);
    expect(readFileSync(empty, 'utf8')).toBe('');
    expect((await cli('--db', path, 'init', '--config', join(DATA, 'course.yaml'))).code).toBe(0);
    expect(existsSync(path)).toBe(true);
  });

  it('a missing input file is one line naming it, no stack trace', async () => {
    const dir = tempDir();
    const db = ['--db', join(dir, 'g.sqlite')];
    const init = await cli(...db, 'init', '--config', join(dir, 'nope.yaml'));
    expect(init.code).toBe(1);
    expect(init.err).toBe(`gradebook: ${join(dir, 'nope.yaml')}: no such file or folder\n`);
    await cli(...db, 'init', '--config', join(DATA, 'course.yaml'));
    for (const args of [['import-roster', 'missing.csv'], ['import-results', 'missing-folder'], ['import-scores', 'seminar', 'gone.csv']]) {
      const r = await cli(...db, ...args);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toEqual([`gradebook: ${args[args.length - 1]}: no such file or folder`]);
    }
  });
});

/** A course whose hw1 results include a crash, a timeout, a late and a missing submission. */
function failures(): { db: Db; dir: string } {
  const { db, dir } = small();
  importResults(db, writeFile(dir, 'r.json', JSON.stringify([
    result('a01', 40, '2027-04-16T21:00:00-07:00', { status: 'crash' }),
    result('a02', 60, '2027-04-18T07:11:00-07:00'), // 31.2 h late: 2 periods
    result('a03', 30, '2027-04-16T20:00:00-07:00', { status: 'timeout' }),
    result('a04', 0, null),
  ])));
  return { db, dir };
}

describe('status and lateness shown everywhere', () => {
  it('grades.csv: status, hours late and periods charged per item; crash/timeout until resolved', () => {
    const { db, dir } = failures();
    const rows = () => parse(readFileSync(exportGradesCsv(db, join(dir, 'grades.csv'))), { columns: true }) as Record<string, string>[];
    const pick = (r: Record<string, string>) => [r.hw1_status, r.hw1_raw, r.hw1_late_hours, r.hw1_late_periods, r.hw1_late_penalty, r.hw1_final];
    const [a01, a02, a03, a04] = rows();
    expect(pick(a01!)).toEqual(['crash', '40', '', '', '0', '40']);
    expect(pick(a02!)).toEqual(['late', '60', '31.2', '2', '20', '40']);
    expect(pick(a03!)).toEqual(['timeout', '30', '', '', '0', '30']);
    expect(pick(a04!)).toEqual(['missing', '', '', '', '0', '0']);
    expect(a01!.seminar_status).toBe('missing');
    // Resolving accepts the points; overriding replaces them; both clear the flag.
    resolveResult(db, 'hw1', 'a01', 'checked by hand');
    setOverride(db, 'hw1', 'a03', 35);
    expect(rows().map((r) => r.hw1_status)).toEqual(['graded', 'late', 'graded', 'missing']);
    // A new result that crashes again is flagged again (the resolution was for the old one).
    importResults(db, writeFile(dir, 'r2.json', JSON.stringify([result('a01', 45, '2027-04-16T21:00:00-07:00', { status: 'crash', graded_at: '2027-04-22T10:00:00-07:00' })])));
    expect(rows()[0]!.hw1_status).toBe('crash');
    expect(() => resolveResult(db, 'hw1', 'a02')).toThrow(/is "ok", nothing to resolve/);
  });

  it('a result the autograder marked for review (tampered reports) is flagged "review" until resolved, never a silent 0', () => {
    const { db, dir } = small();
    importResults(db, writeFile(dir, 'r.json', JSON.stringify([
      result('a01', 0, '2027-04-16T21:00:00-07:00', { review: "the sandbox's reports were tampered with: q1.a reported twice" }),
      result('a02', 70, '2027-04-16T21:00:00-07:00', { review: null }),
    ])));
    const rows = () => parse(readFileSync(exportGradesCsv(db, join(dir, 'grades.csv'))), { columns: true }) as Record<string, string>[];
    expect(rows().map((r) => r.hw1_status)).toEqual(['review', 'graded', 'missing', 'missing']);
    resolveResult(db, 'hw1', 'a01', 'looked at the submission: the score stands');
    expect(rows()[0]!.hw1_status).toBe('graded');
  });

  it('show and the sheets name the status and the lateness; the class report lists failures to resolve', async () => {
    const { db, dir } = failures();
    db.close();
    const g = ['--db', join(dir, 'g.sqlite')];
    const a01 = (await cli(...g, 'show', 'a01')).out;
    expect(a01).toMatch(/hw1 +CRASH {2}raw 40 = 40\/100 .*\[autograde crash: "gradebook resolve hw1 a01" accepts it, or override\]/);
    expect(a01).toMatch(/seminar +missing → 0/);
    expect((await cli(...g, 'show', 'a02')).out).toMatch(/hw1 +LATE {2}raw 60 − late 20 = 40\/100 {2}submitted 2027-04-18 07:11:00 PDT {2}31\.20 h late, 2 periods charged/);
    expect(JSON.parse((await cli(...g, '--json', 'show', 'a03')).out).items[0]).toMatchObject({ flag: 'timeout', autogradeStatus: 'timeout' });
    expect((await cli(...g, 'grades', '--out', join(dir, 'grades'))).out).toContain('autograde failures to resolve: hw1/a01 crash, hw1/a03 timeout');
    expect((await cli(...g, 'report', '--out', join(dir, 'rep'))).code).toBe(0);
    const sheet = (id: string) => readFileSync(join(dir, 'rep', 'students', `${id}.html`), 'utf8');
    expect(sheet('a01')).toContain('<td class="status status-crash">crash');
    expect(sheet('a03')).toContain('<td class="status status-timeout">timeout');
    expect(sheet('a04')).toContain('<td class="status status-missing">missing');
    expect(sheet('a02')).toMatch(/31\.20 h \(1\.30 days\) late: 2 periods charged/);
    const report = readFileSync(join(dir, 'rep', 'class-report.html'), 'utf8');
    expect(report).toContain('Autograde failures to resolve (2)');
    expect(report).toMatch(/students\/a01\.html">a01<\/a><\/td><td>hw1<\/td><td class="status-crash">crash/);
    expect((await cli(...g, 'resolve', 'hw1', 'a01')).code).toBe(0);
    expect((await cli(...g, 'resolve', 'hw1', 'a03')).code).toBe(0);
    await cli(...g, 'report', '--out', join(dir, 'rep'));
    expect(readFileSync(join(dir, 'rep', 'class-report.html'), 'utf8')).toContain('No autograde crash or timeout is waiting to be resolved.');
  });
});

describe('Canvas export', () => {
  const withExports = (lines: string) => SMALL_COURSE.replace('rounding: { decimals: 2 }', `rounding: { decimals: 2 }\nexports:\n${lines}`);

  it('missing work is 0 or blank as the config says; the kit final grade goes in an Override Score column', () => {
    for (const [mode, cell] of [['zero', '0'], ['blank', '']] as const) {
      const { db } = failures();
      initCourse(db, writeFile(tempDir(), 'c.yaml', withExports(`  canvas_missing: ${mode}\n`)));
      const rows = parse(canvasCsv(getConfig(db), computeFinalGrades(db))) as string[][];
      expect(rows[0]!.at(-1)).toBe('Override Score');
      const a04 = rows.find((r) => r[2] === 'a04')!;
      expect(a04[5]).toBe(cell); // hw1: missing
      expect(Number(a04.at(-1))).toBe(computeFinalGrades(db).find((g) => g.studentId === 'a04')!.finalRounded);
    }
  });

  it('or as a 100-point assignment column, or not at all', () => {
    const { db } = failures();
    initCourse(db, writeFile(tempDir(), 'c.yaml', withExports('  canvas_final_grade: assignment\n')));
    let rows = parse(canvasCsv(getConfig(db), computeFinalGrades(db))) as string[][];
    expect([rows[0]!.at(-1), rows[1]!.at(-1)]).toEqual(['Final grade (course kit)', '100']);
    initCourse(db, writeFile(tempDir(), 'c.yaml', withExports('  canvas_final_grade: none\n')));
    rows = parse(canvasCsv(getConfig(db), computeFinalGrades(db))) as string[][];
    expect(rows[0]!.at(-1)).toBe('Project report (project)');
    expect(() => loadCourseConfig('c.yaml', withExports('  canvas_missing: empty\n'))).toThrow(/c\.yaml:\d+: exports\.canvas_missing: must be one of "zero", "blank"/);
  });
});

describe('adjustments and extra credit', () => {
  it('a capped team score + adjustment is reported at import and on the item', () => {
    const { db, dir } = small();
    importScores(db, writeFile(dir, 't.csv', 'team,points\nt1,95\nt2,5\n'), 'project');
    const s = importScores(db, writeFile(dir, 'a.csv', 'student_id,adjustment\na01,10\na03,-10\n'), 'project');
    expect(s.notes).toEqual([
      'project/a01: team score 95 + adjustment 10 = 105 is capped to 100 (set extra_credit on the assignment in the course config to allow more)',
      'project/a03: team score 5 − adjustment 10 = -5 is capped to 0',
    ]);
    expect(gradeOf(db, 'a01').items[3]).toMatchObject({ raw: 100, notes: ['team 95 + adjustment 10 = 105, capped to 100'] });
  });

  it('extra_credit in the config lets scores go above max_points (and no further)', () => {
    const course = SMALL_COURSE.replace('due: "2027-06-10T23:59", team: true }', 'due: "2027-06-10T23:59", team: true, extra_credit: 5 }')
      .replace('max_points: 20, due: "2027-06-05T10:00" }', 'max_points: 20, due: "2027-06-05T10:00", extra_credit: 2 }');
    const { db, dir } = small(course);
    importScores(db, writeFile(dir, 't.csv', 'team,points\nt1,95\n'), 'project');
    expect(importScores(db, writeFile(dir, 'a.csv', 'student_id,adjustment\na01,10\na02,3\na03,20\n'), 'project').notes).toEqual([]);
    expect(gradeOf(db, 'a01').items[3]).toMatchObject({ raw: 105, pct: 105, notes: [] });
    expect(gradeOf(db, 'a02').items[3]).toMatchObject({ raw: 98, pct: 98 });
    expect(gradeOf(db, 'a03').items[3]).toMatchObject({ status: 'missing' }); // t2 has no team score yet
    importScores(db, writeFile(dir, 't2.csv', 'team,points\nt1,95\nt2,90\n'), 'project');
    expect(gradeOf(db, 'a03').items[3]).toMatchObject({ raw: 105, notes: ['team 90 + adjustment 20 = 110, capped to 105'] });
    importScores(db, writeFile(dir, 's.csv', 'student_id,points\na01,22\n'), 'seminar');
    expect(gradeOf(db, 'a01').items[2]!.raw).toBe(22);
    expect(gradeOf(db, 'a01').items[2]!.pct).toBeCloseTo(110, 9);
    expect(() => importScores(db, writeFile(dir, 's2.csv', 'student_id,points\na01,22.5\n'), 'seminar')).toThrow(/22\.5 is outside 0…22/);
    expect(() => setOverride(db, 'hw1', 'a01', 101)).toThrow(/outside 0…100/);
  });
});

describe('sample course and package', () => {
  it('follows the syllabus: 10 % per day and no cut-off (max_late_days is not set)', () => {
    const c = loadCourseConfig(join(DATA, 'course.yaml'));
    expect(c.late_policy).toMatchObject({ percent: 10, per: 'day', max_late_days: null });
  });

  it('grading keeps @types/* in devDependencies only', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@types/'))).toEqual([]);
    expect(Object.keys(pkg.devDependencies ?? {})).toEqual(expect.arrayContaining(['@types/better-sqlite3', '@types/cli-progress', '@types/luxon']));
  });
});

void writeReports;

describe('migration', () => {
  it('an override stored by an older version (in manual_scores) moves to the overrides table once, audited', () => {
    const { db, dir } = small();
    importScores(db, writeFile(dir, 'sem.csv', 'student_id,points\na01,12\na02,14\n'), 'seminar');
    // What the old `override` command wrote: a manual_scores row under source "manual".
    db.prepare("INSERT OR REPLACE INTO manual_scores VALUES ('seminar', 'a01', 19, 'appeal')").run();
    db.prepare("INSERT INTO audit (at, source, entity, key, field, old, new) VALUES ('t', 'manual', 'manual_scores', 'seminar/a01', 'points', '12', '19')").run();
    db.close();
    const path = join(dir, 'g.sqlite');
    const again = openGradebook(path);
    expect(again.prepare('SELECT * FROM overrides').all()).toEqual([{ assignment: 'seminar', student_id: 'a01', points: 19, comment: 'appeal' }]);
    expect(gradeOf(again, 'a01').items[2]).toMatchObject({ raw: 19, source: 'override' });
    expect(gradeOf(again, 'a02').items[2]).toMatchObject({ raw: 14, source: 'manual' });
    again.close();
    const before = readFileSync(path);
    openGradebook(path).close(); // nothing left to move: the file is not written
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
