/**
 * `check('q1')` in a notebook: one line per visible test and a summary, and
 * no value of its own (a notebook prints a cell's last value, so a boolean
 * result showed up as a stray `true`/`false` line under the report).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { check, hiddenTests, runCheck, test as declare } from '../src/check';

let lines: string[];
beforeEach(() => {
  lines = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
});
afterEach(() => vi.restoreAllMocks());

describe('check', () => {
  it('prints PASS/FAIL lines and a summary, and returns nothing to print', () => {
    declare('cq1.a', 'one plus one', () => 1 + 1, { expect: 2 });
    declare('cq1.b', 'a wrong answer', () => 3, { expect: 4 });
    hiddenTests('cq1', 2);
    const value: unknown = check('cq1');
    expect(value).toBeUndefined();
    expect(lines).toEqual([
      'PASS cq1.a one plus one',
      'FAIL cq1.b a wrong answer — value: expected 4, got 3',
      'cq1: 1/2 visible tests passed; 2 hidden tests will be run at grading.',
    ]);
    expect(lines.some((l) => /^(true|false)$/.test(l))).toBe(false);
  });

  it('runCheck gives the verdict to code that needs it', () => {
    declare('cq2.a', 'ok', () => [1, 2], { expect: [1, 2] });
    expect(runCheck('cq2')).toBe(true);
    declare('cq2.b', 'throws', () => { throw new Error('boom'); }, { expect: 1 });
    expect(runCheck('cq2')).toBe(false);
    expect(lines).toContain('FAIL cq2.b throws — Error: boom');
    expect(runCheck('nothing-declared')).toBe(false);
  });
});
