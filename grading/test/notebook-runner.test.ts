import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { KERNEL_NAME } from '../src/notebook/kernelspec';
import { checkExecutedNotebook, committedNotebookProblems, readNotebook, type Notebook } from '../src/notebook/nbformat';
import { findNotebooks, runAll, summaryTable } from '../src/notebook/run-all';
import { runEmbedded } from '../src/notebook/runner';

const fixtures = resolve(__dirname, 'fixtures/notebooks');
const notebooksDir = resolve(__dirname, '../../notebooks');

describe('embedded runner', () => {
  it('runs a good notebook: outputs in nbformat, counts, plots, nothing failing', async () => {
    const r = await runEmbedded(join(fixtures, 'good.ipynb'));
    expect(r.failures).toEqual([]);
    const [md, c2, empty, c4, c5] = r.notebook.cells;
    expect(md!.outputs).toBeUndefined();
    expect(c2).toMatchObject({ execution_count: 1, outputs: [{ output_type: 'stream', name: 'stdout', text: 'epochs 3\n' }] });
    // Jupyter does not send an empty cell either.
    expect(empty).toMatchObject({ execution_count: null, outputs: [] });
    expect(c4!.execution_count).toBe(2);
    expect(c4!.outputs!.map((o) => o.output_type)).toEqual(['display_data', 'display_data']);
    const first = c4!.outputs![0] as { data: Record<string, string> };
    expect(Object.keys(first.data).sort()).toEqual(['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
    expect(c5).toMatchObject({ execution_count: 3, outputs: [{ output_type: 'stream', name: 'stdout', text: '42\n' }] });
    // The source notebook is left untouched.
    expect(committedNotebookProblems(readNotebook(join(fixtures, 'good.ipynb')))).toEqual([]);
  });

  it('fails on a type error in cell 2, naming cell 2, and reports cell 3 as not executed', async () => {
    const r = await runEmbedded(join(fixtures, 'type-error.ipynb'));
    expect(r.failures).toHaveLength(2);
    expect(r.failures[0]!.cell).toBe(2);
    expect(r.failures[0]!.message).toMatch(/Type 'number' is not assignable to type 'string'/);
    expect(r.failures[1]).toEqual({ cell: 3, message: expect.stringMatching(/not executed/) });
    expect(r.notebook.cells[2]!.execution_count).toBeNull();
  });

  it('fails on a runtime exception with the message', async () => {
    const r = await runEmbedded(join(fixtures, 'throws.ipynb'));
    expect(r.failures[0]).toEqual({ cell: 2, message: expect.stringMatching(/RangeError: learning rate must be positive/) });
    expect(r.failures[1]).toEqual({ cell: 3, message: expect.stringMatching(/not executed/) });
  });

  it('fails on stderr output even when the cell finished', async () => {
    const r = await runEmbedded(join(fixtures, 'stderr.ipynb'));
    expect(r.failures).toEqual([{ cell: 1, message: 'warning: something is off' }]);
    expect(r.notebook.cells[0]!.execution_count).toBe(1);
  });

  it('kills a cell that runs past the timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-timeout-'));
    try {
      const nb: Notebook = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          { cell_type: 'code', source: 'let k = 0;', metadata: {}, outputs: [], execution_count: null },
          { cell_type: 'code', source: 'while (true) { k++; }', metadata: {}, outputs: [], execution_count: null },
        ],
      };
      const file = join(dir, 'loop.ipynb');
      writeFileSync(file, JSON.stringify(nb));
      const r = await runEmbedded(file, { cellTimeoutMs: 1500 });
      expect(r.failures[0]).toEqual({ cell: 2, message: expect.stringMatching(/timed out after 1500 ms/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('checkExecutedNotebook on what Jupyter + tslab write', () => {
  it('catches stderr, error outputs and a cell tslab silently skipped', () => {
    const code = (execution_count: number | null, outputs: unknown[] = []) =>
      ({ cell_type: 'code', source: 'x', metadata: {}, execution_count, outputs }) as Notebook['cells'][number];
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        code(1, [{ output_type: 'stream', name: 'stdout', text: 'fine\n' }]),
        code(2, [{ output_type: 'stream', name: 'stderr', text: ['2:7 - Cannot find name ', "'foo'.\n"] }]),
        code(null), // sent within 200 ms of the error: dropped by tslab, no outputs
        { cell_type: 'markdown', source: 'text', metadata: {} },
        code(4, [{ output_type: 'error', ename: 'Error', evalue: 'boom', traceback: [] }]),
        { cell_type: 'code', source: '  \n', metadata: {}, execution_count: null, outputs: [] },
      ],
    };
    expect(checkExecutedNotebook(nb)).toEqual([
      { cell: 2, message: "2:7 - Cannot find name 'foo'." },
      { cell: 3, message: expect.stringMatching(/not executed/) },
      { cell: 5, message: 'Error: boom' },
    ]);
  });
});

describe('runAll (embedded)', () => {
  const out = mkdtempSync(join(tmpdir(), 'nb-out-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes executed notebooks and HTML pages and summarises failures', async () => {
    const lines: string[] = [];
    const reports = await runAll({ notebooksDir: fixtures, outDir: out, filter: 'good', embedded: true, log: (l) => lines.push(l) });
    expect(reports.map((r) => r.file)).toEqual([join(fixtures, 'good.ipynb')]);
    const executed = readNotebook(join(out, 'good.ipynb'));
    expect(checkExecutedNotebook(executed)).toEqual([]);
    const html = readFileSync(join(out, 'good.html'), 'utf8');
    expect(html).toContain('class="course-kit-plot"');
    expect(html.match(/plotly\.js v\d/g)).toHaveLength(1); // bundle inlined once
    expect(html).toContain('&lt;');
    expect(summaryTable(reports, fixtures)).toMatch(/good\.ipynb\s+embedded\s+4\s+[\d.]+ s\s+ok/);
    expect(lines[0]).toMatch(/1 notebook\(s\), runner: embedded/);
  });
});

describe('committed notebooks', () => {
  const notebooks = findNotebooks(notebooksDir);

  it('exist (the lecture notebook is part of the kit)', () => {
    expect(notebooks.map((f) => f.slice(notebooksDir.length + 1))).toContain('05-backpropagation.ipynb');
  });

  it.each(notebooks.map((f) => [f.slice(notebooksDir.length + 1), f]))('%s has no outputs and uses the kit kernel', (_name, file) => {
    const nb = readNotebook(file);
    expect(committedNotebookProblems(nb)).toEqual([]);
    expect((nb.metadata.kernelspec as { name?: string } | undefined)?.name).toBe(KERNEL_NAME);
  });
});
