import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { describe, expect, it } from 'vitest';
import { comparePlain, toPlainValue } from '../../lib/src/check';
import { readManifest } from '../src/autograde/batch';
import { feedbackHtml } from '../src/autograde/feedback';
import { SubmissionResult, recoverSolutions } from '../src/autograde/grade';
import { cellSource, loadAssignment, Notebook, parseNotebook } from '../src/autograde/notebook';
import { validateReport } from '../src/autograde/protocol';
import { releaseAssignment, releaseNotebook } from '../src/autograde/release';
import { HW1_SOURCE, hw1 } from './autograde-helpers';

describe('release', () => {
  const { assignment, released } = hw1();
  const out = join(mkdtempSync(join(tmpdir(), 'ck-release-')), 'hw1.ipynb');
  releaseNotebook({ source: HW1_SOURCE, out });
  const student = JSON.parse(readFileSync(out, 'utf8')) as Notebook;
  const text = student.cells.map(cellSource).join('\n');

  it('is worth 100 points', () => expect(assignment.maxPoints).toBe(100));

  it('strips every solution region and every hidden test', () => {
    // Lines that are public anyway (in a plain segment, e.g. a function signature that a hidden region repeats
    // to grade a later question with the reference version) are not secrets.
    const isPublic = new Set(assignment.cells.flatMap((c) => c.segments.filter((s) => s.region === 'plain').flatMap((s) => s.code.split('\n').map((l) => l.trim()))));
    for (const c of assignment.cells) {
      for (const s of c.segments) {
        if (s.region === 'plain') continue;
        for (const line of s.code.split('\n').filter((l) => l.trim().length > 12 && !isPublic.has(l.trim()))) expect(text).not.toContain(line.trim());
      }
    }
    for (const id of ['q1.symmetric', 'q2.backward-3x3x2', 'q3.very-negative', 'q4.boundary', 'q5.net-loss', 'q6.batch-mean', 'q7.detects-slope']) expect(text).not.toContain(id);
    expect(text).not.toMatch(/BEGIN (SOLUTION|HIDDEN)/);
    expect(text).toContain("throw new Error('not implemented: q1");
    expect(text).toContain("hiddenTests('q1', 2)");
  });

  it('keeps ids, clears outputs, locks instructor cells', () => {
    const ids = student.cells.map((c) => (c.metadata.course_kit as { id?: string } | undefined)?.id).filter(Boolean);
    expect(ids).toEqual(assignment.cells.filter((c) => c.meta).map((c) => c.meta!.id));
    for (const c of student.cells.filter((x) => x.cell_type === 'code')) expect(c.outputs).toEqual([]);
    const tests = student.cells.find((c) => (c.metadata.course_kit as { id?: string } | undefined)?.id === 'q1-tests')!;
    expect(tests.metadata.editable).toBe(false);
    expect(released.metadata.kernelspec).toMatchObject({ language: 'typescript' });
  });

  const withCells = (mutate: (nb: Notebook) => void) => {
    const nb = parseNotebook(readFileSync(HW1_SOURCE, 'utf8'), 'x');
    mutate(nb);
    return () => loadAssignment(nb, 'hw1');
  };
  it('names the cell in validation errors', () => {
    expect(withCells((nb) => ((nb.cells[4].metadata.course_kit as { id: string }).id = 'q1-solution'))).toThrow(/cell #5 .*duplicate id "q1-solution".*cell #4/);
    expect(withCells((nb) => delete (nb.cells[4].metadata.course_kit as { points?: number }).points)).toThrow(/cell #5 \(q1-tests\).*points/);
    expect(withCells((nb) => (nb.cells[3].source = (nb.cells[3].source as string[]).filter((l) => !l.includes('END SOLUTION'))))).toThrow(/cell #4 \(q1-solution\).*never closed/);
    expect(withCells((nb) => (nb.cells[4].source = ['// END HIDDEN TESTS\n']))).toThrow(/cell #5 \(q1-tests\), line 1.*without a matching BEGIN/);
    expect(() => parseNotebook('{"cells": [', 'sub.ipynb')).toThrow(/sub.ipynb: not a Jupyter notebook: the file is not valid JSON/);
  });
});

describe('recovery of student cells', () => {
  const { assignment, submission } = hw1();
  const meta = (c: Notebook['cells'][number]) => c.metadata.course_kit as { id: string } | undefined;
  it('recovers duplicated, moved, id-less and markdown cells and reports each', () => {
    const nb = submission({}, (n) => {
      const q1 = n.cells.find((c) => meta(c)?.id === 'q1-solution')!;
      n.cells.splice(n.cells.indexOf(q1), 1);
      n.cells.push(q1); // moved
      delete n.cells.find((c) => meta(c)?.id === 'q3-solution')!.metadata.course_kit; // id lost
      const q4 = n.cells.find((c) => meta(c)?.id === 'q4-solution')!;
      n.cells.push({ ...structuredClone(q4), source: ['function perceptronUpdate(w: number[]) { return w; }'], execution_count: 1 });
      q4.execution_count = 9; // duplicated: the later-run copy wins
      q4.cell_type = 'markdown'; // and retyped
      n.cells = n.cells.filter((c) => meta(c)?.id !== 'q5-solution'); // deleted
    });
    const r = recoverSolutions(assignment, nb);
    expect(r.solutions.get('q3-solution')).toContain('Math.exp(v - m)');
    expect(r.solutions.get('q4-solution')).toContain('w.slice()');
    expect(r.solutions.get('q5-solution')).toContain('not implemented');
    const notes = r.notes.join('\n');
    expect(notes).toMatch(/q3-solution: cell id missing; recovered/);
    expect(notes).toMatch(/q4-solution: 2 cells carry this id/);
    expect(notes).toMatch(/q4-solution: .*markdown cell/);
    expect(notes).toMatch(/q5-solution: solution cell missing/);
    expect(notes).toMatch(/moved/);
  });

  it("reports the student's own id-less code cells, not the assignment's ungraded ones", () => {
    // hw2 ends with a plot cell that has no id: it was in the assignment, so it is no news to the student.
    const hw2Source = join(__dirname, '../../notebooks/hw2-training/hw2-training.source.ipynb');
    const hw2 = loadAssignment(parseNotebook(readFileSync(hw2Source, 'utf8'), hw2Source), 'hw2', hw2Source);
    const nb2 = structuredClone(releaseAssignment(hw2));
    expect(nb2.cells.some((c) => c.cell_type === 'code' && !meta(c) && cellSource(c).trim() !== '')).toBe(true);
    expect(recoverSolutions(hw2, nb2).notes.join('\n')).not.toMatch(/without an id/);
    nb2.cells.push({ cell_type: 'code', metadata: {}, source: ['console.log("my own experiment")'], outputs: [], execution_count: 3 });
    expect(recoverSolutions(hw2, nb2).notes.join('\n')).toMatch(new RegExp(`1 code cell\\(s\\) without an id were not graded \\(cells #${nb2.cells.length}\\)`));
  });
});

describe('values and reports', () => {
  it('never runs code carried by lying values', () => {
    let called = 0;
    const liar = { valueOf: () => (called++, 0.25), toJSON: () => (called++, 0.25) };
    const proxy = new Proxy([0.25], { get: () => (called++, 0.25) });
    const getter = Object.defineProperty([0], '0', { get: () => (called++, 0.25) });
    for (const v of [liar, proxy, getter]) expect(comparePlain(toPlainValue(v), toPlainValue(0.25)).equal).toBe(false);
    expect(comparePlain(toPlainValue([liar]), toPlainValue([0.25])).equal).toBe(false);
    expect(called).toBe(0);
    expect(toPlainValue(proxy)).toEqual({ $bad: 'Proxy object' });
  });
  it('compares numbers with tolerance and typed arrays with arrays', () => {
    expect(comparePlain(toPlainValue(new Float64Array([1, 2])), toPlainValue([1, 2 + 1e-9])).equal).toBe(true);
    expect(comparePlain(toPlainValue([1, 2.1]), toPlainValue([1, 2])).message).toBe('[1]: expected 2, got 2.1');
    expect(comparePlain(toPlainValue(NaN), toPlainValue(0.5)).equal).toBe(false);
  });
  it('rejects report lines with a wrong nonce or shape', () => {
    const ok = '{"n":"abc","t":"test","id":"q1.a"}';
    expect(validateReport(ok, 'abc')).toEqual({ t: 'test', id: 'q1.a' });
    expect(validateReport(ok, 'abd')).toBeUndefined();
    expect(validateReport('{"n":"abc","t":"result","id":"q1.a","ok":true,"value":{"valueOf":1},"description":"","tol":null,"rtol":null,"points":null,"ms":1}', 'abc')).toBeUndefined();
    expect(validateReport('PASS q1.a', 'abc')).toBeUndefined();
  });
});

describe('manifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ck-manifest-'));
  const write = (body: string) => {
    const p = join(dir, 'm.csv');
    writeFileSync(p, `student_id,file,submitted_at\n${body}`);
    return p;
  };
  it('reads offsets, Z and course-local times, and empty rows as no submission', () => {
    const rows = readManifest(write('s1,a.ipynb,2027-04-16T23:00:00-07:00\ns2,b.ipynb,2027-04-17T06:00:00Z\ns3,c.ipynb,2027-04-16T23:00:00\ns4,,\n'));
    expect(rows.map((r) => r.submittedAt)).toEqual(['2027-04-16T23:00:00-07:00', '2027-04-17T06:00:00Z', '2027-04-16T23:00:00-07:00', null]);
    expect(rows[3].file).toBeNull();
  });
  it('names the line of a bad date or a duplicate', () => {
    expect(() => readManifest(write('s1,a.ipynb,yesterday\n'))).toThrow(/line 2: bad submitted_at/);
    expect(() => readManifest(write('s1,a.ipynb,\ns1,b.ipynb,\n'))).toThrow(/line 3: duplicate row for s1/);
  });
});

describe('feedback page', () => {
  it('escapes everything and names hidden tests with their description, never their message', () => {
    const r: SubmissionResult = {
      assignment: 'hw1', student_id: 's<1>', status: 'timeout', points: 3, max_points: 6, submitted_at: null, file: 'x',
      cause: 'timeout: cell <q2-solution> ran longer than 10 s', cell_errors: [{ id: 'q2-solution', error: '<script>alert(1)</script>' }],
      tests: [
        { id: 'q1.a', question: 'q1', hidden: false, description: 'a & b', points: 3, max_points: 3, passed: true, message: 'passed' },
        { id: 'q1.secret', question: 'q1', hidden: true, description: 'what <it> checks', points: 0, max_points: 3, passed: false, message: 'expected 42' },
      ],
      timings: { startup_ms: 0, total_ms: 0, cells: {} }, graded_at: '2027-04-17T00:00:00Z', recovery: ['<b>note</b>'], input_hash: '', grader: 'x',
    };
    const html = feedbackHtml(r);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a &amp; b');
    expect(html).not.toMatch(/expected 42/);
    expect(html).toContain('<td><code>q1.secret</code> <em>(hidden)</em></td><td>what &lt;it&gt; checks</td><td>0/3</td><td>wrong value</td>');
    expect(html).toContain('Hidden tests: 0 of 1 passed (0/3 points)');
    expect(html).toContain('ran longer than 10 s');
  });
});
