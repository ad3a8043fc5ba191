import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { DATA, cli, result, tempDir, writeFile } from './gradebook-fixtures';

describe('gradebook CLI', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--help lists the commands', async () => {
    const { out } = await cli('--help');
    for (const c of ['init', 'import-roster', 'import-scores', 'import-results', 'import-manifest', 'import-extensions', 'override', 'show', 'grades', 'report']) expect(out).toContain(c);
  });

  it('runs a course end to end with --json output and reports bad input with exit code 1', async () => {
    const dir = tempDir();
    const db = ['--db', join(dir, 'g.sqlite')];
    expect((await cli(...db, 'init', '--config', join(DATA, 'course.yaml'))).code).toBe(0);
    expect(JSON.parse((await cli(...db, '--json', 'import-roster', join(DATA, 'roster.csv'))).out)).toMatchObject({ rows: 40, changes: 40 });
    await cli(...db, 'import-scores', 'seminar', join(DATA, 'scores', 'seminar.csv'));
    await cli(...db, 'import-scores', 'project', join(DATA, 'scores', 'project-teams.csv'));
    await cli(...db, 'import-extensions', join(DATA, 'extensions.csv'));
    const results = writeFile(dir, 'r.json', JSON.stringify([result('s002', 90, '2027-04-18T07:11:00-07:00'), result('s001', 100, '2027-04-16T22:00:00-07:00')]));
    expect((await cli(...db, 'import-results', results)).out).toMatch(/4 rows, 4 changes/);
    expect((await cli(...db, 'override', 'hw1', 's001', '97', '--comment', 'regrade')).code).toBe(0);
    expect((await cli(...db, 'import-results', results)).out).toMatch(/0 changes/);
    const s002 = JSON.parse((await cli(...db, '--json', 'show', 's002')).out);
    expect(s002.items[0]).toMatchObject({ assignment: 'hw1', raw: 90, penalty: 20, final: 70 });
    const s001 = (await cli(...db, 'show', 's001')).out;
    expect(s001).toContain('raw 97 = 97/100 (override)');
    const grades = await cli(...db, 'grades', '--out', join(dir, 'out'));
    expect(grades.out).toMatch(/^40 students/);
    expect(readFileSync(join(dir, 'out', 'canvas-import.csv'), 'utf8').split('\n')[1]).toBe('    Points Possible,,,,,100,100,20,100,'); // hw1, hw2, seminar, project
    await cli(...db, 'report', '--out', join(dir, 'report'));
    expect(existsSync(join(dir, 'report', 'students', 's040.html'))).toBe(true);
    const bad = await cli(...db, 'import-scores', 'seminar', writeFile(dir, 'bad.csv', 'student_id,points\ns001,25\n'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\.csv:2: points: 25 is outside 0…20/);
    const badJson = await cli(...db, '--json', 'show', 'nobody');
    expect(badJson.code).toBe(1);
    expect(JSON.parse(badJson.out).error).toMatch(/unknown student id "nobody"/);
  });
});
