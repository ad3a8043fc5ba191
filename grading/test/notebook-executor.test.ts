import { mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCellExecutor, createWarmConverter, type CellExecutor } from '../src/notebook/executor';

// The notebooks folder sits next to node_modules, so `@course-kit/lib` resolves
// from there exactly as in a kernel started on notebooks/.
const notebooksDir = resolve(__dirname, '../../notebooks');

describe('createCellExecutor', () => {
  let ex: CellExecutor;
  beforeAll(() => {
    ex = createCellExecutor({ cwd: notebooksDir });
  });
  afterAll(() => ex.close());

  it('keeps variables across cells and captures stdout', async () => {
    const a = await ex.execute('const n: number = 6;\nfunction twice(k: number) { return 2 * k; }');
    expect(a.ok).toBe(true);
    expect(a.stderr).toBe('');
    const b = await ex.execute('console.log("value", twice(n));\nn * 7');
    expect(b.ok).toBe(true);
    // console.log output first, then the value of the last expression.
    expect(b.stdout).toBe('value 12\n42\n');
    expect(ex.locals.n).toBe(6);
  });

  it('reports a type error with its message and runs no code', async () => {
    const r = await ex.execute('const s: string = 3;\nconsole.log("ran");');
    expect(r.ok).toBe(false);
    expect(r.stdout).toBe('');
    expect(r.error).toMatch(/Type 'number' is not assignable to type 'string'/);
    expect(r.stderr).toMatch(/1:7/);
  });

  it('reports a thrown error and keeps working afterwards', async () => {
    const r = await ex.execute('console.log("before");\nthrow new RangeError("bad learning rate");');
    expect(r.ok).toBe(false);
    expect(r.stdout).toBe('before\n');
    expect(r.error).toMatch(/RangeError: bad learning rate/);
    const after = await ex.execute('n + 1');
    expect(after).toMatchObject({ ok: true, stdout: '7\n' });
  });

  it('reports a rejected top-level await', async () => {
    const r = await ex.execute('await new Promise((_, reject) => setTimeout(() => reject(new Error("late failure")), 5));');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/late failure/);
  });

  it('interrupts asynchronous work after timeoutMs', async () => {
    // A promise that never settles: only the time limit can end this cell.
    const r = await ex.execute('await new Promise(() => undefined);', { timeoutMs: 100 });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/timed out after 100 ms/);
    // The kit's tslab patch: one line, not the stack trace of tslab's internal interrupt error.
    expect(r.stderr).toBe('interrupted\n');
    expect((await ex.execute('1 + 1')).stdout).toBe('2\n');
  });

  it('captures tslab.display calls and whole bundles', async () => {
    const r = await ex.execute(
      [
        'import * as tslab from "tslab";',
        'tslab.display.html("<b>bold</b>");',
        'tslab.display.text("plain");',
        'require("tslab/dist/jupyter").lastWriteDisplayData(',
        '  { data: { "text/plain": "p", "text/html": "<i>h</i>" }, metadata: {}, transient: {} }, false);',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    expect(r.displays).toEqual([
      { 'text/html': '<b>bold</b>' },
      { 'text/plain': 'plain' },
      { 'text/plain': 'p', 'text/html': '<i>h</i>' },
    ]);
  });

  it('imports the course library as a package', async () => {
    const r = await ex.execute(
      'import { Rng, zeros } from "@course-kit/lib";\nconst m = zeros(2, 3);\nconsole.log(m.rows, m.cols, new Rng(1).int(5) < 5);',
    );
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('2 3 true\n');
  });

  it('keeps stdout and displays in order, and lib show() lands in the capture', async () => {
    const r = await ex.execute(
      [
        'import { show, curves, resetPlotSession } from "@course-kit/lib";',
        'resetPlotSession();',
        'console.log("first");',
        'show(curves({ loss: [3, 2, 1] }, { title: "Loss" }));',
        'console.log("second");',
        'show(curves({ loss: [1, 0.5] }));',
      ].join('\n'),
    );
    expect(r.error).toBeUndefined();
    expect(r.outputs.map((o) => o.kind)).toEqual(['stdout', 'display', 'stdout', 'display']);
    expect(r.displays).toHaveLength(2);
    const [a, b] = r.displays as Record<string, string>[];
    expect(Object.keys(a!).sort()).toEqual(['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
    expect(a!['text/plain']).toBe("Figure: 1 trace (scatter) — 'Loss'");
    // plotly.js (~4.8 MB) travels with the first figure of the session only.
    expect(a!['text/html']!.length).toBeGreaterThan(1_000_000);
    expect(b!['text/html']!.length).toBeLessThan(10_000);
  });

  it('type-checks calls into the library', async () => {
    const r = await ex.execute('import { zeros } from "@course-kit/lib";\nzeros("two", 3);');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/not assignable to parameter of type 'number'/);
  });
});

describe('a notebook outside the kit', () => {
  it('stops at the setup cell with one message; later failing cells only say they did not run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outside-kit-'));
    const ex = createCellExecutor({ cwd: dir });
    try {
      const setup = await ex.execute('import { test, check } from "@course-kit/lib";');
      expect(setup.ok).toBe(false);
      expect(setup.stderr).toMatch(/^@course-kit\/lib was not found from .*: this notebook is not inside the course kit/);
      expect(setup.stderr).toContain('npm run lab');
      expect(setup.stderr).not.toMatch(/Cannot find module/);
      const later = await ex.execute('test("q1", () => check(true));');
      expect(later.stderr).toBe("Not run: the course kit's library is missing (see the first error of this session).\n");
      expect((await ex.execute('console.log(40 + 2);')).stdout).toBe('42\n');
    } finally {
      ex.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('two executors in one process', () => {
  it('keep separate variables and restore the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exec-'));
    const before = process.cwd();
    const first = createCellExecutor({ cwd: dir });
    const second = createCellExecutor({ cwd: dir });
    try {
      expect(process.cwd()).toBe(before);
      await first.execute('let v = "first";');
      await second.execute('let v = "second";');
      expect((await first.execute('v')).stdout).toBe('first\n');
      expect((await second.execute('v')).stdout).toBe('second\n');
    } finally {
      first.close();
      second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a converter created ahead', () => {
  it('checks and runs cells as usual in the executor it is given to', async () => {
    const before = process.cwd();
    const converter = createWarmConverter(notebooksDir, { warmUp: 'import { zeros } from "@course-kit/lib";' });
    expect(process.cwd()).toBe(before);
    const ex = createCellExecutor({ cwd: notebooksDir, converter });
    try {
      // The warm-up was only type-checked: nothing of it is declared or run.
      expect((await ex.execute('typeof zeros')).ok).toBe(false);
      const r = await ex.execute('import { zeros } from "@course-kit/lib";\nconst m = zeros(2, 3);\nm.cols');
      expect(r.ok).toBe(true);
      expect(r.stdout).toBe('3\n');
      const bad = await ex.execute('const s: string = m.rows;');
      expect(bad.error).toMatch(/Type 'number' is not assignable to type 'string'/);
    } finally {
      ex.close();
    }
  });
});

describe('files changing around a running executor', () => {
  it('do not break later cells (tslab has one timer slot for TypeScript\'s watch program)', async () => {
    // A folder of its own with a node_modules/@types that TypeScript would watch
    // as a type root; creating a package there used to make tslab throw
    // "Unexpected pending rebuildTimer" from the watcher or from the next cell.
    const dir = mkdtempSync(join(tmpdir(), 'exec-watch-'));
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    const ex = createCellExecutor({ cwd: dir });
    try {
      expect((await ex.execute('const a = 1;\na')).ok).toBe(true);
      mkdirSync(join(dir, 'node_modules', '@types', 'late'));
      mkdirSync(join(dir, 'sibling'));
      // TypeScript's recursive directory watcher on Linux batches child updates for 1 s.
      await new Promise((r) => setTimeout(r, 1_500));
      const r = await ex.execute('const b = a + 1;\nb');
      expect(r.error).toBeUndefined();
      expect(r.stdout).toBe('2\n');
    } finally {
      ex.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
