import { relative, resolve } from 'path';
import { describe, expect, it } from 'vitest';
import { findNotebooks } from '../src/notebook/run-all';
import { runEmbedded } from '../src/notebook/runner';

// Every notebook the kit ships (lecture, homework sources, starters) must run
// top to bottom without stderr, errors or skipped cells in the embedded runner.
const notebooksDir = resolve(__dirname, '../../notebooks');
const notebooks = findNotebooks(notebooksDir);

describe('every notebook under notebooks/ executes cleanly (embedded runner)', () => {
  it('finds the notebooks', () => {
    // The kit ships at least the Lecture 5 notebook; an empty list would make
    // the tests below vacuous.
    expect(notebooks.length).toBeGreaterThan(0);
  });

  it.each(notebooks.map((f) => [relative(notebooksDir, f), f]))(
    '%s',
    async (_name, file) => {
      const r = await runEmbedded(file);
      const report = r.failures.map((f) => `cell ${f.cell}: ${f.message}`).join('\n');
      expect(report).toBe('');
      expect(r.notebook.cells.some((c) => c.execution_count !== null && c.execution_count !== undefined)).toBe(true);
    },
    15 * 60 * 1000,
  );
});
