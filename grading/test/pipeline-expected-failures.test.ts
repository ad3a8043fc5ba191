/**
 * `npm start` exits non-zero when a submission crashed or timed out, unless the
 * course config lists that exact failure as expected (the sample course's
 * deliberate endless loop): policy as data, checked by the config schema.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { describe, expect, it } from 'vitest';
import { loadCourseConfig } from '../src/gradebook';
import { unexpectedFailures } from '../src/pipeline';

const sample = resolve(__dirname, '../../data/course.yaml');

describe('expected failures', () => {
  it('the sample course expects exactly its endless loop (hw1/s009, timeout)', () => {
    const config = loadCourseConfig(sample);
    expect(config.assignments.find((a) => a.id === 'hw1')?.expected_failures).toEqual([{ student: 's009', status: 'timeout' }]);
    expect(config.assignments.filter((a) => a.expected_failures).map((a) => a.id)).toEqual(['hw1']);
  });

  it('only a listed student with the listed status is excused', () => {
    const expected = [{ student: 's009', status: 'timeout' as const }];
    const failures = [
      { student_id: 's009', status: 'timeout' },
      { student_id: 's009', status: 'crash' },
      { student_id: 's010', status: 'timeout' },
    ];
    expect(unexpectedFailures(failures, expected)).toEqual(failures.slice(1));
    expect(unexpectedFailures(failures)).toEqual(failures);
  });

  it('a status other than crash or timeout is a config error naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ck-expected-'));
    const text = readFileSync(sample, 'utf8').replace('{ student: s009, status: timeout }', '{ student: s009, status: partial }');
    writeFileSync(join(dir, 'course.yaml'), text);
    expect(() => loadCourseConfig(join(dir, 'course.yaml'))).toThrow(/expected_failures/);
  });
});
