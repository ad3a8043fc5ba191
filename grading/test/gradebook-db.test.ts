import { describe, expect, it } from 'vitest';
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import {
  Db, computeFinalGrades, importExtensions, importManifest, importResults, importRoster, importScores, initCourse, openGradebook, runCourse,
} from '../src/gradebook';
import { DATA, SMALL_COURSE, SMALL_ROSTER, result, tempDir, writeFile } from './gradebook-fixtures';

const hashFile = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Every data table's rows, to compare database contents. */
function dump(db: Db): string {
  const tables = ['meta', 'students', 'auto_scores', 'manual_scores', 'team_scores', 'adjustments', 'submissions', 'extensions'];
  return JSON.stringify(tables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
}

function smallDb(): { db: Db; dir: string; path: string } {
  const dir = tempDir();
  const path = join(dir, 'gradebook.sqlite');
  const db = openGradebook(path);
  initCourse(db, writeFile(dir, 'course.yaml', SMALL_COURSE));
  importRoster(db, writeFile(dir, 'roster.csv', SMALL_ROSTER));
  importScores(db, writeFile(dir, 'seminar.csv', 'student_id,points,comment\na01,18,good\n'), 'seminar');
  return { db, dir, path };
}

describe('malformed inputs leave the database byte-identical', () => {
  const { db, dir, path } = smallDb();
  const valid = 'student_id,points,comment\na01,17,ok\na02,15,ok\na03,12,ok\n';
  const cases: [string, () => unknown, RegExp][] = [
    ['unknown student id (after valid rows)', () => importScores(db, writeFile(dir, 'b1.csv', `${valid}zz9,10,who\n`), 'seminar'), /b1\.csv:5: student_id: unknown student id "zz9"/],
    ['duplicate row', () => importScores(db, writeFile(dir, 'b2.csv', `${valid}a01,11,again\n`), 'seminar'), /b2\.csv:5: duplicate row for student a01 \(first on line 2\)/],
    ['score above maximum', () => importScores(db, writeFile(dir, 'b3.csv', `${valid}a04,21,too much\n`), 'seminar'), /b3\.csv:5: points: 21 is outside 0…20/],
    ['negative score', () => importScores(db, writeFile(dir, 'b3n.csv', 'student_id,points\na04,-1\n'), 'seminar'), /points: -1 is outside/],
    ['not a number', () => importScores(db, writeFile(dir, 'b4.csv', 'student_id,points\na04,ten\n'), 'seminar'), /"ten" is not a number/],
    ['bad date', () => importManifest(db, writeFile(dir, 'b5.csv', 'student_id,file,submitted_at\na01,a01.ipynb,2027-04-16T21:00\na02,a02.ipynb,2027-13-45 25:00\n'), 'hw1'), /b5\.csv:3: submitted_at: .*not a date-time/],
    ['time in the DST gap', () => importManifest(db, writeFile(dir, 'b5g.csv', 'student_id,file,submitted_at\na01,a01.ipynb,2027-03-14 02:30\n'), 'hw1'), /does not exist/],
    ['missing column', () => importScores(db, writeFile(dir, 'b6.csv', 'student_id,score\na01,3\n'), 'seminar'), /missing column "points"/],
    ['unknown assignment', () => importScores(db, writeFile(dir, 'b7.csv', valid), 'hw9'), /unknown assignment "hw9"/],
    ['team scores for a non-team item', () => importScores(db, writeFile(dir, 'b8.csv', 'team,points\nt1,3\n'), 'seminar'), /not a team assignment/],
    ['unknown team', () => importScores(db, writeFile(dir, 'b9.csv', 'team,points\nt1,80\nt9,80\n'), 'project'), /b9\.csv:3: team: unknown team "t9"/],
    ['extension without days or until', () => importExtensions(db, writeFile(dir, 'b10.csv', 'student_id,assignment,kind,days\na01,hw1,excused,\na02,hw1,extension,\n')), /b10\.csv:3: an extension needs exactly one/],
    ['bad extension kind', () => importExtensions(db, writeFile(dir, 'b11.csv', 'student_id,assignment,kind\na01,hw1,pardoned\n')), /kind: "pardoned" must be/],
    ['roster duplicate id', () => importRoster(db, writeFile(dir, 'b12.csv', `${SMALL_ROSTER}a01,Ada Again,x@example.edu,A,t1\n`)), /duplicate row for student a01/],
    ['team too large', () => importRoster(db, writeFile(dir, 'b13.csv', `${SMALL_ROSTER}a05,E,e@example.edu,A,t1\na06,F,f@example.edu,A,t1\na07,G,g@example.edu,A,t1\n`)), /team "t1" would have 5 members/],
    ['result above max', () => importResults(db, writeFile(dir, 'b14.json', JSON.stringify([result('a01', 90, null), result('a02', 101, '2027-04-16T20:00-07:00')]))), /b14\.json: \[1\]\.points: 101 is above the maximum/],
    ['result schema violation', () => importResults(db, writeFile(dir, 'b15.json', JSON.stringify({ ...result('a01', 90, null), status: 'great' }))), /b15\.json: \.status: must be equal to one of/],
    ['result for an unknown student', () => importResults(db, writeFile(dir, 'b16.json', JSON.stringify([result('a01', 90, null), result('x99', 50, null)]))), /unknown student id "x99"/],
    ['duplicate results', () => importResults(db, writeFile(dir, 'b17.json', JSON.stringify([result('a01', 90, null), result('a01', 50, null)]))), /duplicate row for hw1\/a01 \(also in .*b17\.json\[0\]\)/],
    ['result max differs from config', () => importResults(db, writeFile(dir, 'b18.json', JSON.stringify(result('a01', 9, null, { max_points: 10 })))), /max_points: 10 differs from the course config \(100\)/],
    ['corrupt JSON', () => importResults(db, writeFile(dir, 'b19.json', '{"assignment": "hw1",')), /b19\.json: not valid JSON/],
    ['invalid config re-init', () => initCourse(db, writeFile(dir, 'bad.yaml', SMALL_COURSE.replace('weight: 40 }', 'weight: 45 }'))), /weights sum to 105/],
    ['unterminated CSV quote', () => importScores(db, writeFile(dir, 'b20.csv', 'student_id,points,comment\na01,3,"oops\n'), 'seminar'), /b20\.csv: CSV error/],
  ];
  for (const [name, run, message] of cases) {
    it(name, () => {
      const before = hashFile(path);
      const rows = dump(db);
      expect(run).toThrow(message);
      expect(hashFile(path)).toBe(before);
      expect(dump(db)).toBe(rows);
      expect(existsSync(`${path}-journal`)).toBe(false);
    });
  }
});

describe('re-import', () => {
  it('re-importing the same files changes nothing and the audit says so', () => {
    const dir = tempDir();
    const db = openGradebook(join(dir, 'g.sqlite'));
    const importAll = () => [
      initCourse(db, join(DATA, 'course.yaml')).changes,
      importRoster(db, join(DATA, 'roster.csv')).changes,
      importScores(db, join(DATA, 'scores', 'seminar.csv'), 'seminar').changes,
      importScores(db, join(DATA, 'scores', 'project-teams.csv'), 'project').changes,
      importScores(db, join(DATA, 'scores', 'project-adjustments.csv'), 'project').changes,
      importScores(db, join(DATA, 'scores', 'proposal-teams.csv'), 'proposal').changes,
      importExtensions(db, join(DATA, 'extensions.csv')).changes,
      importResults(db, writeFile(dir, 'r.json', JSON.stringify([result('s001', 88, '2027-04-16T20:00:00-07:00'), result('s002', 70, '2027-04-18T07:11:00-07:00')]))).changes,
    ];
    const first = importAll();
    expect(first.every((n) => n > 0)).toBe(true);
    const rows = dump(db);
    const changeAudits = () => (db.prepare("SELECT count(*) AS n FROM audit WHERE entity != 'import'").get() as { n: number }).n;
    const audits = changeAudits();
    expect(importAll()).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(dump(db)).toBe(rows);
    expect(changeAudits()).toBe(audits);
    const last = db.prepare("SELECT new FROM audit WHERE entity = 'import' ORDER BY id DESC LIMIT 8").all() as { new: string }[];
    expect(last.map((r) => r.new)).toEqual(Array(8).fill('0 changes'));
  });

  it('a changed value is one audit row with old and new', () => {
    const { db, dir } = smallDb();
    const n = importScores(db, writeFile(dir, 's2.csv', 'student_id,points,comment\na01,19,good\n'), 'seminar').changes;
    expect(n).toBe(1);
    const row = db.prepare("SELECT entity, key, field, old, new, source FROM audit WHERE entity = 'manual_scores' ORDER BY id DESC LIMIT 1").get();
    expect(row).toEqual({ entity: 'manual_scores', key: 'seminar/a01', field: 'points', old: '18', new: '19', source: 'import:s2.csv' });
  });
});

describe('submission times from two sources', () => {
  it('a manifest and results naming the same instant differently do not flip-flop', () => {
    const { db, dir } = smallDb();
    const manifest = writeFile(dir, 'm.csv', 'student_id,file,submitted_at\na01,a01.ipynb,2027-04-18 07:11\n');
    const results = writeFile(dir, 'r.json', JSON.stringify([result('a01', 90, '2027-04-18T07:11:00-07:00')]));
    expect(importManifest(db, manifest, 'hw1').changes).toBe(1);
    expect(importResults(db, results).changes).toBe(1); // the score; the time is the same instant
    expect(importManifest(db, manifest, 'hw1').changes).toBe(0);
    expect(importResults(db, results).changes).toBe(0);
    const later = writeFile(dir, 'm2.csv', 'student_id,file,submitted_at\na01,a01.ipynb,2027-04-18 07:12\n');
    expect(importManifest(db, later, 'hw1').changes).toBe(1);
  });
});

describe('runCourse (the pipeline entry)', () => {
  it('runs the sample data folder and is a no-op the second time', () => {
    const build = tempDir();
    const first = runCourse({ dataDir: DATA, buildDir: build });
    expect(first.grades).toHaveLength(40);
    expect(existsSync(first.files.classReport)).toBe(true);
    const second = runCourse({ dataDir: DATA, buildDir: build });
    expect(second.imports.every((i) => i.changes === 0)).toBe(true);
    expect(second.imports.length).toBe(first.imports.length);
  });
});

describe('sample course data', () => {
  it('has 40 fictional students in 10 teams of 4, s003 excused and s004 extended for hw1', () => {
    const dir = tempDir();
    const db = openGradebook(join(dir, 'g.sqlite'));
    initCourse(db, join(DATA, 'course.yaml'));
    importRoster(db, join(DATA, 'roster.csv'));
    importExtensions(db, join(DATA, 'extensions.csv'));
    importScores(db, join(DATA, 'scores', 'project-teams.csv'), 'project');
    const teams = db.prepare('SELECT team, count(*) AS n FROM students GROUP BY team').all() as { n: number }[];
    expect(teams).toHaveLength(10);
    expect(teams.every((t) => t.n === 4)).toBe(true);
    const grades = computeFinalGrades(db);
    expect(grades.map((g) => g.studentId)).toEqual(Array.from({ length: 40 }, (_, i) => `s${String(i + 1).padStart(3, '0')}`));
    const hw1 = (id: string) => grades.find((g) => g.studentId === id)!.items.find((i) => i.assignment === 'hw1')!;
    expect(hw1('s003').status).toBe('excused');
    expect(hw1('s004').extension).toMatch(/^3 days/);
    expect(hw1('s004').effectiveDue).toBe('2027-04-20T06:59:00.000Z');
    if (existsSync(join(DATA, 'hw1', 'manifest.csv'))) {
      importManifest(db, join(DATA, 'hw1', 'manifest.csv'), 'hw1');
    }
  });
});

/** Node program that imports with the TypeScript sources (transpiled on require). */
const CHILD = `
const ts = require(process.env.TS_PATH);
const fs = require('fs');
require.extensions['.ts'] = (m, f) => m._compile(ts.transpileModule(fs.readFileSync(f, 'utf8'), {
  fileName: f, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText, f);
const { openGradebook } = require(process.env.SRC + '/db.ts');
const { importResults } = require(process.env.SRC + '/imports.ts');
const s = importResults(openGradebook(process.argv[2]), process.argv[3]);
process.stdout.write(JSON.stringify(s));
`;

function runChild(dir: string, args: string[], env: Record<string, string>, killAtRow?: number): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  const script = writeFile(dir, 'child.js', CHILD);
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, TS_PATH: require.resolve('typescript'), SRC: join(__dirname, '..', 'src', 'gradebook'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (killAtRow !== undefined && stderr.includes(`gradebook: row ${killAtRow}\n`)) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout })));
}

describe('killing the process during an import', () => {
  it('leaves the database consistent; rerunning finishes with nothing doubled', async () => {
    const dir = tempDir();
    const path = join(dir, 'g.sqlite');
    const db = openGradebook(path);
    initCourse(db, join(DATA, 'course.yaml'));
    importRoster(db, join(DATA, 'roster.csv'));
    // A first batch (s001–s010) is already in; the killed import re-imports them with 30 more.
    const all = Array.from({ length: 40 }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
    for (const id of all.slice(0, 10)) writeFile(dir, `first/${id}.json`, JSON.stringify(result(id, 50, '2027-04-16T20:00:00-07:00')));
    importResults(db, join(dir, 'first'));
    for (const id of all) writeFile(dir, `results/${id}.json`, JSON.stringify(result(id, 60 + (Number(id.slice(1)) % 40), '2027-04-16T22:00:00-07:00')));
    const before = dump(db);
    db.close();

    const killed = await runChild(dir, [path, join(dir, 'results')], { COURSE_GRADEBOOK_ROW_DELAY_MS: '40' }, 25);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(`${path}-journal`)).toBe(true); // the interrupted transaction left a hot journal

    const after = openGradebook(path);
    expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(dump(after)).toBe(before); // rolled back: the first batch intact, nothing of the killed one
    after.close();

    const rerun = await runChild(dir, [path, join(dir, 'results')], {});
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ rows: 80, changes: 80 });
    const done = openGradebook(path);
    expect((done.prepare('SELECT count(*) AS n FROM auto_scores').get() as { n: number }).n).toBe(40);
    expect((done.prepare('SELECT count(*) AS n FROM submissions').get() as { n: number }).n).toBe(40);
    expect((done.prepare("SELECT points FROM auto_scores WHERE student_id = 's005'").get() as { points: number }).points).toBe(65);
    // Running it once more is a no-op.
    expect(importResults(done, join(dir, 'results')).changes).toBe(0);
    done.close();
  });
});
