/**
 * Collecting submissions into a manifest: Canvas "download submissions" names (user id, LATE marker) with a
 * times CSV, and a plain folder with an explicit times CSV. Roster ids through a roster column; unmatched
 * files, duplicates, students without a submission and files without a time listed, never guessed; a LATE
 * marker contradicting the time reported. The CLI writes the manifest and exits 2 when something needs a look.
 */
import { execFile } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { promisify } from 'util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSubmissions, parseCanvasName } from '../src/collect/collect';
import { readManifest } from '../src/autograde/batch';

const ROOT = resolve(__dirname, '..', '..');
let dir: string;
const w = (rel: string, text: string) => { const p = join(dir, rel); mkdirSync(join(p, '..'), { recursive: true }); writeFileSync(p, text); return p; };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-kit-collect-'));
  w('roster.csv', 'student_id,name,email,section,team,canvas_id\ns001,A,a@x.edu,A,t1,1001\ns002,B,b@x.edu,A,t1,1002\ns003,C,c@x.edu,A,t1,1003\ns004,D,d@x.edu,A,t1,1004\ns005,E,e@x.edu,A,t1,1005\ns006,F,f@x.edu,A,t1,\n');
  // Canvas folder: s001 on time, s002 LATE and late, s003 LATE but on time (contradiction), s004 two files,
  // s005 nothing, a stray file and a user id not in the roster.
  for (const f of ['quillavery_1001_501_hw1.ipynb', 'marrowbrookbrisk_LATE_1002_502_hw1.ipynb', 'fernc_LATE_1003_503_hw1.ipynb',
    'dd_1004_504_hw1.ipynb', 'dd_1004_505_hw1-1.ipynb', 'notes.txt', 'zz_9999_506_hw1.ipynb']) w(`canvas/${f}`, '{}');
  w('canvas-times.csv', 'user_id,submitted_at,late\n1001,2027-04-16T17:13:00Z,false\n1002,2027-04-18T14:11:00Z,true\n1003,2027-04-16T20:00:00Z,true\n1004,2027-04-16T21:00:00Z,false\n1005,,false\n9999,2027-04-16T10:00:00Z,false\n');
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const due = '2027-04-16T23:59';
const zone = 'America/Los_Angeles';

describe('collect from a Canvas download', () => {
  it('parses Canvas submission names', () => {
    expect(parseCanvasName('marrowbrookbrisk_LATE_1002_502_hw1.ipynb')).toEqual({ userId: '1002', late: true, original: 'hw1.ipynb' });
    expect(parseCanvasName('quillavery_1001_501_my_hw1.ipynb')).toEqual({ userId: '1001', late: false, original: 'my_hw1.ipynb' });
    expect(parseCanvasName('notes.txt')).toBeNull();
  });

  it('maps user ids through the roster column and lists everything it cannot decide', () => {
    const r = collectSubmissions({ mode: 'canvas', folder: join(dir, 'canvas'), times: join(dir, 'canvas-times.csv'), roster: join(dir, 'roster.csv'), idColumn: 'canvas_id', due, timeZone: zone });
    expect(r.manifest).toEqual([
      { student_id: 's001', file: 'quillavery_1001_501_hw1.ipynb', submitted_at: '2027-04-16T17:13:00Z' },
      { student_id: 's002', file: 'marrowbrookbrisk_LATE_1002_502_hw1.ipynb', submitted_at: '2027-04-18T14:11:00Z' },
      { student_id: 's003', file: 'fernc_LATE_1003_503_hw1.ipynb', submitted_at: '2027-04-16T20:00:00Z' },
      { student_id: 's004', file: '', submitted_at: '' },
      { student_id: 's005', file: '', submitted_at: '' },
      { student_id: 's006', file: '', submitted_at: '' },
    ]);
    expect(r.duplicates).toEqual([{ student_id: 's004', files: ['dd_1004_504_hw1.ipynb', 'dd_1004_505_hw1-1.ipynb'] }]);
    expect(r.unmatched.map((u) => u.file).sort()).toEqual(['notes.txt', 'zz_9999_506_hw1.ipynb']);
    expect(r.unmatched.find((u) => u.file.startsWith('zz'))!.reason).toMatch(/user id 9999 is not in the roster's canvas_id column/);
    expect(r.missing).toEqual(['s005', 's006']);
    expect(r.unusedTimes.map((u) => u.line)).toEqual([7]);
    // s003: LATE marker, but 20:00Z is 13:00 in Los Angeles, before 23:59
    expect(r.lateContradictions).toEqual([expect.objectContaining({ student_id: 's003', marker: true })]);
    expect(r.lateContradictions[0]!.reason).toMatch(/marked LATE but submitted/);
    expect(r.problems).toBe(2 + 1 + 1 + 1);
  });

  it('reports a late file without a LATE marker, and a file without a time', () => {
    w('canvas2/aa_1001_601_hw1.ipynb', '{}');
    w('canvas2/bb_1002_602_hw1.ipynb', '{}');
    w('times2.csv', 'user_id,submitted_at\n1001,2027-04-17T09:00:00Z\n');
    const r = collectSubmissions({ mode: 'canvas', folder: join(dir, 'canvas2'), times: join(dir, 'times2.csv'), roster: join(dir, 'roster.csv'), idColumn: 'canvas_id', due, timeZone: zone });
    expect(r.lateContradictions).toEqual([expect.objectContaining({ student_id: 's001', marker: false })]);
    expect(r.noTime).toEqual([{ student_id: 's002', file: 'bb_1002_602_hw1.ipynb' }]);
    expect(r.manifest.find((m) => m.student_id === 's002')).toEqual({ student_id: 's002', file: 'bb_1002_602_hw1.ipynb', submitted_at: '' });
  });
});

describe('collect from a plain folder', () => {
  it('takes files and times from the CSV, times without offset in the course zone', () => {
    w('plain/s001-summary.pdf', '%PDF-1.4');
    w('plain/s002.txt', 'text');
    w('plain/stray.txt', 'x');
    w('plain-times.csv', 'id,file,submitted_at\ns001,s001-summary.pdf,2027-06-05 09:30\ns002,s002.txt,2027-06-05T14:25:00-07:00\ns009,x.txt,2027-06-05 09:00\ns003,gone.txt,2027-06-05 09:00\n');
    const r = collectSubmissions({ mode: 'plain', folder: join(dir, 'plain'), times: join(dir, 'plain-times.csv'), roster: join(dir, 'roster.csv'), idColumn: 'student_id', due: '2027-06-05T10:00', timeZone: zone });
    expect(r.manifest.slice(0, 2)).toEqual([
      { student_id: 's001', file: 's001-summary.pdf', submitted_at: '2027-06-05T09:30:00-07:00' },
      { student_id: 's002', file: 's002.txt', submitted_at: '2027-06-05T14:25:00-07:00' },
    ]);
    expect(r.unmatched).toEqual([{ file: 'stray.txt', reason: 'not listed in the times CSV' }]);
    expect(r.unusedTimes.map((u) => u.reason)).toEqual([expect.stringMatching(/id s009 is not in the roster/), expect.stringMatching(/gone.txt is not in the folder/)]);
    expect(r.lateContradictions).toEqual([]); // no marker in a plain folder
  });
});

describe('collect CLI', () => {
  it('writes a manifest the autograder reads and exits 2 on problems', async () => {
    const out = join(dir, 'manifest.csv');
    const cli = join(ROOT, 'grading', 'dist', 'cli', 'autograde.js');
    const args = [cli, 'collect', 'hw1', join(dir, 'canvas'), '--times', join(dir, 'canvas-times.csv'), '--roster', join(dir, 'roster.csv'), '--config', join(ROOT, 'data', 'course.yaml'), '-o', out];
    const res = await promisify(execFile)(process.execPath, args).then(() => ({ code: 0, stdout: '' }), (e: { code: number; stdout: string }) => e);
    expect(res.code).toBe(2);
    expect(res.stdout).toMatch(/DUPLICATE s004: 2 files/);
    expect(res.stdout).toMatch(/LATE MARKER s003/);
    const rows = readManifest(out, zone);
    expect(rows.map((r) => [r.studentId, r.file])).toEqual([['s001', 'quillavery_1001_501_hw1.ipynb'], ['s002', 'marrowbrookbrisk_LATE_1002_502_hw1.ipynb'], ['s003', 'fernc_LATE_1003_503_hw1.ipynb'], ['s004', null], ['s005', null], ['s006', null]]);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('student_id,file,submitted_at');
  });
});
