import { beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'csv-parse/sync';
import {
  Db, computeFinalGrades, exportCanvasCsv, exportGradesCsv, gradeOf, importExtensions, importResults, importRoster,
  importScores, initCourse, letterFor, loadCourseConfig, neutralizeCell, openGradebook, roundHalfUp, setOverride, writeReports,
} from '../src/gradebook';
import { SMALL_COURSE, SMALL_ROSTER, result, tempDir, writeFile } from './gradebook-fixtures';

const LETTERS = loadCourseConfig('course.yaml', SMALL_COURSE).letters;

/** Builds the small course with the scores described in each test's comments. */
function setup(): { db: Db; dir: string; configPath: string } {
  const dir = tempDir();
  const configPath = writeFile(dir, 'course.yaml', SMALL_COURSE);
  const db = openGradebook(join(dir, 'gradebook.sqlite'));
  initCourse(db, configPath);
  importRoster(db, writeFile(dir, 'roster.csv', SMALL_ROSTER));
  writeFile(dir, 'results/a01.json', JSON.stringify(result('a01', 90, '2027-04-16T21:03:00-07:00')));
  writeFile(dir, 'results/a02.json', JSON.stringify(result('a02', 100, '2027-04-18T07:11:00-07:00'))); // 1.3 days late
  writeFile(dir, 'results/a03.json', JSON.stringify(result('a03', 70, '2027-04-16T20:00:00-07:00')));
  writeFile(dir, 'results/a04.json', JSON.stringify(result('a04', 0, null))); // no submission
  importResults(db, join(dir, 'results'));
  importScores(db, writeFile(dir, 'hw2.csv', 'student_id,points,comment,submitted_at\na01,40,,2027-05-07T20:00\na02,50,,2027-05-07T20:00\n'), 'hw2');
  importScores(db, writeFile(dir, 'seminar.csv', 'student_id,points,comment\na01,18,good\na03,20,excellent\na04,10,thin\n'), 'seminar');
  importScores(db, writeFile(dir, 'teams.csv', 'team,points,comment\nt1,80,solid\nt2,95,great\n'), 'project');
  importScores(db, writeFile(dir, 'adj.csv', 'student_id,adjustment,comment\na01,5,led\na02,-10,absent\n'), 'project');
  importExtensions(db, writeFile(dir, 'ext.csv', 'student_id,assignment,kind,days,until,reason\na02,hw2,excused,,,ill\na03,hw1,excused,,,ill\na03,hw2,excused,,,ill\n'));
  return { db, dir, configPath };
}

describe('final grades', () => {
  let db: Db;
  let dir: string;
  let configPath: string;
  beforeEach(() => ({ db, dir, configPath } = setup()));

  it('weights components: a01 = 0.4·mean(90, 80) + 0.2·90 + 0.4·(80+5) = 86 → B', () => {
    const g = gradeOf(db, 'a01');
    expect(g.components.map((c) => c.pct)).toEqual([85, 90, 85]);
    expect(g.finalPct).toBeCloseTo(86, 10);
    expect(g.letter).toBe('B');
  });

  it('late penalty, excused item, missing item and a negative team adjustment: a02 = 60 → D-', () => {
    const g = gradeOf(db, 'a02');
    const hw1 = g.items.find((i) => i.assignment === 'hw1')!;
    expect(hw1.raw).toBe(100);
    expect(hw1.late!.periods).toBe(2);
    expect(hw1.penalty).toBe(20);
    expect(hw1.final).toBe(80);
    expect(g.items.find((i) => i.assignment === 'hw2')!.status).toBe('excused');
    expect(g.items.find((i) => i.assignment === 'seminar')!.status).toBe('missing');
    expect(g.components.map((c) => c.pct)).toEqual([80, 0, 70]); // homework = hw1 only; missing seminar = 0
    expect(g.finalPct).toBeCloseTo(60, 10);
    expect(g.letter).toBe('D-');
  });

  it('an excused whole component re-weights the others: a03 = (20·100 + 40·95)/60', () => {
    const g = gradeOf(db, 'a03');
    expect(g.components[0]!.pct).toBeNull();
    expect(g.components.map((c) => c.effectiveWeight)).toEqual([0, 20 / 60 * 100, 40 / 60 * 100]);
    expect(g.finalPct).toBeCloseTo((20 * 100 + 40 * 95) / 60, 10);
    expect(g.letter).toBe('A');
  });

  it('missing (no-submission) scores 0 while excused is left out', () => {
    const a04 = gradeOf(db, 'a04');
    expect(a04.items.find((i) => i.assignment === 'hw1')!.status).toBe('missing');
    expect(a04.items.find((i) => i.assignment === 'hw1')!.autogradeStatus).toBe('no-submission');
    expect(a04.components[0]!.pct).toBe(0);
    expect(a04.finalPct).toBeCloseTo(0.2 * 50 + 0.4 * 95, 10);
    expect(a04.letter).toBe('F');
    // Excusing both homeworks turns 0 % homework into a re-weighted grade.
    importExtensions(db, writeFile(dir, 'ext2.csv', 'student_id,assignment,kind\na04,hw1,excused\na04,hw2,excused\n'));
    expect(gradeOf(db, 'a04').finalPct).toBeCloseTo((20 * 50 + 40 * 95) / 60, 10);
  });

  it('team grade applies to every member, adjusted per student and clamped to 0…max', () => {
    const project = (id: string) => gradeOf(db, id).items.find((i) => i.assignment === 'project')!;
    expect([project('a01').raw, project('a02').raw, project('a03').raw, project('a04').raw]).toEqual([85, 70, 95, 95]);
    importScores(db, writeFile(dir, 'adj2.csv', 'student_id,adjustment\na03,10\n'), 'project');
    expect(project('a03').raw).toBe(100);
    expect(project('a03').adjustment).toBe(10);
  });

  it('recomputes the penalty when the extension, the raw score or the due date changes', () => {
    const hw1 = () => gradeOf(db, 'a02').items.find((i) => i.assignment === 'hw1')!;
    expect(hw1().penalty).toBe(20);
    // Extension of 1 day: 0.3 days late → 10 %.
    importExtensions(db, writeFile(dir, 'e1.csv', 'student_id,assignment,kind,days\na02,hw1,extension,1\n'));
    expect(hw1().penalty).toBe(10);
    // Extension changed to 2 days: on time.
    importExtensions(db, writeFile(dir, 'e2.csv', 'student_id,assignment,kind,days\na02,hw1,extension,2\n'));
    expect(hw1().penalty).toBe(0);
    expect(hw1().final).toBe(100);
    // A 0-day extension restores the original due time; then the due date moves one day in the config.
    importExtensions(db, writeFile(dir, 'e3.csv', 'student_id,assignment,kind,days\na02,hw1,extension,0\n'));
    expect(hw1().penalty).toBe(20);
    writeFile(dir, 'course.yaml', SMALL_COURSE.replace('due: "2027-04-16T23:59"', 'due: "2027-04-17T23:59"'));
    expect(initCourse(db, configPath).changes).toBe(1);
    expect(hw1().penalty).toBe(10);
    // New raw score from a regraded result: 10 % of points possible still, final follows.
    writeFile(dir, 'regrade/a02.json', JSON.stringify(result('a02', 60, '2027-04-18T07:11:00-07:00')));
    importResults(db, join(dir, 'regrade'));
    expect(hw1().raw).toBe(60);
    expect(hw1().final).toBe(50);
    // Nothing derived is stored: the database has no penalty or final column.
    const cols = (db.prepare("SELECT group_concat(name) AS c FROM pragma_table_info('auto_scores')").get() as { c: string }).c;
    expect(cols).not.toMatch(/penalty|final/);
  });

  it('re-running autograde never discards a manual override', () => {
    setOverride(db, 'hw1', 'a01', 95, 'regraded by hand');
    expect(gradeOf(db, 'a01').items[0]!.raw).toBe(95);
    importResults(db, join(dir, 'results'));
    writeFile(dir, 'rerun/a01.json', JSON.stringify(result('a01', 50, '2027-04-16T21:03:00-07:00', { graded_at: '2027-04-21T10:00:00-07:00' })));
    importResults(db, join(dir, 'rerun'));
    const item = gradeOf(db, 'a01').items[0]!;
    expect(item.raw).toBe(95);
    expect(item.source).toBe('override');
    // Clearing the override falls back to the newest autograde score.
    setOverride(db, 'hw1', 'a01', null);
    expect(gradeOf(db, 'a01').items[0]!.raw).toBe(50);
  });
});

describe('letters and rounding', () => {
  const cuts: [number, string, string][] = [
    [97, 'A+', 'A'], [93, 'A', 'A-'], [90, 'A-', 'B+'], [87, 'B+', 'B'], [83, 'B', 'B-'], [80, 'B-', 'C+'],
    [77, 'C+', 'C'], [73, 'C', 'C-'], [70, 'C-', 'D+'], [67, 'D+', 'D'], [63, 'D', 'D-'], [60, 'D-', 'F'],
  ];
  for (const [min, at, below] of cuts) {
    it(`${min} is ${at} (inclusive); ${min - 0.005} rounds up to ${at}; ${min - 0.0051} and ${min - 0.01} are ${below}`, () => {
      expect(letterFor(min, LETTERS, 2)).toBe(at);
      expect(letterFor(min - 0.005, LETTERS, 2)).toBe(at);
      expect(letterFor(min - 0.0051, LETTERS, 2)).toBe(below);
      expect(letterFor(min - 0.01, LETTERS, 2)).toBe(below);
    });
  }
  it('89.995 → 90.00 → A- under "round half up to 2 decimals, then compare"', () => {
    expect(roundHalfUp(89.995, 2)).toBe(90);
    expect(letterFor(89.995, LETTERS, 2)).toBe('A-');
    expect(letterFor(89.99499, LETTERS, 2)).toBe('B+');
    // Binary noise from a weighted sum does not flip the result.
    expect(roundHalfUp(89.99499999999999, 2)).toBe(90);
    expect(letterFor(100, LETTERS, 2)).toBe('A+');
    expect(letterFor(0, LETTERS, 2)).toBe('F');
  });
  it('with 0 decimals 89.5 → 90 (A-) and 89.49 → 89 (B+)', () => {
    expect(letterFor(89.5, LETTERS, 0)).toBe('A-');
    expect(letterFor(89.49, LETTERS, 0)).toBe('B+');
  });
});

describe('course config validation', () => {
  const load = (text: string) => () => loadCourseConfig('course.yaml', text);
  it('accepts the sample course config', () => {
    const c = loadCourseConfig(join(__dirname, '..', '..', 'data', 'course.yaml'));
    expect(c.components.map((x) => x.weight)).toEqual([25, 25, 50]);
    expect(c.course.time_zone).toBe('America/Los_Angeles');
  });
  it('names file, line and field of a schema error', () => {
    const bad = SMALL_COURSE.replace('max_points: 50', 'max_points: -5');
    const line = bad.split('\n').findIndex((l) => l.includes('max_points: -5')) + 1;
    expect(load(bad)).toThrow(`course.yaml:${line}: assignments[1].max_points: must be > 0`);
  });
  it('reports an unknown field at its own line', () => {
    const bad = SMALL_COURSE.replace('  term: Spring 2027', '  term: Spring 2027\n  timezone: UTC');
    expect(load(bad)).toThrow('course.yaml:5: course.timezone: unknown field "timezone"');
  });
  it('rejects weights that do not sum to 100', () => {
    expect(load(SMALL_COURSE.replace('weight: 20 }', 'weight: 10 }'))).toThrow(/weights sum to 90, they must sum to 100/);
  });
  it('rejects an unknown zone, a due time in the DST gap and an unknown component', () => {
    expect(load(SMALL_COURSE.replace('America/Los_Angeles', 'Mars/Olympus'))).toThrow(/course.yaml:5: course.time_zone: "Mars\/Olympus" is not an IANA time zone/);
    expect(load(SMALL_COURSE.replace('2027-05-07T23:59', '2027-03-14T02:30'))).toThrow(/assignments\[1\].due: .*does not exist in America\/Los_Angeles/);
    expect(load(SMALL_COURSE.replace('component: seminar', 'component: seminars'))).toThrow(/unknown component "seminars"/);
  });
  it('reports YAML syntax errors with a line', () => {
    expect(load('course:\n  id: [unclosed\n')).toThrow(/course.yaml:\d+: YAML syntax/);
  });
});

describe('exports', () => {
  it('grades.csv: fixed columns, raw / penalty / final per assignment, EX for excused', () => {
    const { db, dir } = setup();
    const rows = parse(readFileSync(exportGradesCsv(db, join(dir, 'out', 'grades.csv'))), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!).slice(0, 14)).toEqual(['student_id', 'name', 'team', 'homework_pct', 'seminar_pct', 'project_pct', 'final_pct', 'letter',
      'hw1_status', 'hw1_raw', 'hw1_late_hours', 'hw1_late_periods', 'hw1_late_penalty', 'hw1_final']);
    const a02 = rows.find((r) => r.student_id === 'a02')!;
    expect([a02.hw1_raw, a02.hw1_late_penalty, a02.hw1_final, a02.hw2_raw, a02.final_pct, a02.letter]).toEqual(['100', '20', '80', 'EX', '60', 'D-']);
    const a04 = rows.find((r) => r.student_id === 'a04')!;
    expect([a04.hw1_status, a04.hw1_raw, a04.hw1_final]).toEqual(['missing', '', '0']);
  });

  it('Canvas CSV: header, Points Possible row, EX for excused, final points', () => {
    const { db, dir } = setup();
    const rows = parse(readFileSync(exportCanvasCsv(db, join(dir, 'canvas.csv')))) as string[][];
    expect(rows[0]).toEqual(['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'HW 1 (hw1)', 'HW 2 (hw2)', 'Seminar summary (seminar)', 'Project report (project)', 'Override Score']);
    expect(rows[1]).toEqual(['    Points Possible', '', '', '', '', '100', '50', '20', '100', '']);
    expect(rows.find((r) => r[2] === 'a02')).toEqual(['Bo Testperson', '', 'a02', 'a02', 'A', '80', 'EX', '0', '70', '60']);
    expect(rows).toHaveLength(2 + 4);
  });

  it('neutralises formula injection in every text cell', () => {
    for (const s of ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx', '\u2212x', '=HYPERLINK("http://x")']) expect(neutralizeCell(s)).toBe(`'${s}`);
    expect(neutralizeCell('Ada')).toBe('Ada');
    expect(neutralizeCell(-5)).toBe(-5);
    const dir = tempDir();
    const db = openGradebook(join(dir, 'g.sqlite'));
    initCourse(db, writeFile(dir, 'course.yaml', SMALL_COURSE));
    importRoster(db, writeFile(dir, 'r.csv', 'student_id,name,email,section,team\nz1,"=HYPERLINK(""http://evil"",""x"")",z1@example.edu,@A,+t\n'));
    const text = readFileSync(exportGradesCsv(db, join(dir, 'g.csv')), 'utf8') + readFileSync(exportCanvasCsv(db, join(dir, 'c.csv')), 'utf8');
    const cells = (parse(text, { relax_column_count: true }) as string[][]).flat();
    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells).toContain(`'=HYPERLINK("http://evil","x")`);
    expect(cells).toContain("'@A");
  });
});

describe('reports', () => {
  it('writes a class report with plotly figures, stats and late counts, and a sheet per student', () => {
    const { db, dir } = setup();
    const out = writeReports(db, join(dir, 'report'));
    const html = readFileSync(out.classReport, 'utf8');
    expect(html).toContain('<div id="final-hist" class="course-kit-plot"');
    expect(html).toContain('newPlot(el, fig.data, fig.layout, fig.config)');
    expect(html).toContain('"type":"histogram"');
    expect(html.length).toBeGreaterThan(1_000_000); // plotly inlined: works offline
    // hw1: a01 and a02 graded (a02 late), a03 excused, a04 missing.
    const hw1Row = /<tr><td>HW 1 \(hw1\)<\/td>((?:<td>[^<]*<\/td>)+)<\/tr>/.exec(html)![1]!.match(/<td>([^<]*)<\/td>/g)!.map((c) => c.slice(4, -5));
    expect(hw1Row.slice(0, 6)).toEqual(['100', '2', '1', '1', '1', '0']); // max, graded, missing, excused, late, extended
    expect(out.studentSheets).toHaveLength(4);
    const sheet = readFileSync(join(dir, 'report', 'students', 'a03.html'), 'utf8');
    expect(sheet).toContain('excused components re-weighted');
    expect(sheet).toContain('96.67 %');
    const a02 = readFileSync(join(dir, 'report', 'students', 'a02.html'), 'utf8');
    expect(a02).toMatch(/31\.20 h \(1\.30 days\) late: 2 periods charged/);
    expect(a02).toContain('80 team − 10 = 70');
    expect(computeFinalGrades(db)).toHaveLength(4);
  });
});
