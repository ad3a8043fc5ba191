/**
 * The parts of the Jupyter notebook format (nbformat 4) the kit reads and
 * writes, and the check every executed notebook must pass.
 */
import { readFileSync, writeFileSync } from 'fs';
import type { CellOutput, MimeBundle } from './executor';

export type NotebookOutput =
  | { output_type: 'stream'; name: 'stdout' | 'stderr'; text: string | string[] }
  | { output_type: 'display_data'; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: 'execute_result'; data: MimeBundle; metadata: Record<string, unknown>; execution_count: number | null }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: Record<string, unknown>;
  id?: string;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export function readNotebook(file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(readFileSync(file, 'utf8')) as Notebook;
  } catch (e) {
    throw new Error(`${file}: not a readable notebook (${(e as Error).message})`);
  }
  if (!nb || !Array.isArray(nb.cells) || nb.nbformat !== 4) {
    throw new Error(`${file}: not an nbformat 4 notebook (needs "nbformat": 4 and a "cells" array)`);
  }
  return nb;
}

export function writeNotebook(file: string, nb: Notebook): void {
  writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}

/** A cell's source as one string. */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/** Whether Jupyter sends this cell to the kernel (code with something besides whitespace). */
export function isExecutable(cell: NotebookCell): boolean {
  return cell.cell_type === 'code' && cellSource(cell).trim() !== '';
}

/** nbformat outputs for a cell run by the in-process executor. */
export function toNotebookOutputs(outputs: CellOutput[]): NotebookOutput[] {
  return outputs.map((o): NotebookOutput => {
    if (o.kind === 'display') return { output_type: 'display_data', data: o.data, metadata: {} };
    return { output_type: 'stream', name: o.kind, text: o.text };
  });
}

function text(t: string | string[]): string {
  return Array.isArray(t) ? t.join('') : t;
}

/** One problem in an executed notebook. `cell` counts all cells from 1, as Jupyter shows them. */
export interface CellFailure {
  cell: number;
  message: string;
}

/**
 * The check every executed notebook must pass, whoever executed it: each
 * non-empty code cell was executed (tslab silently drops cells sent shortly
 * after an error, leaving execution_count null) and wrote nothing to stderr
 * and no error output (tslab reports compile and runtime errors on stderr).
 */
export function checkExecutedNotebook(nb: Notebook): CellFailure[] {
  const failures: CellFailure[] = [];
  nb.cells.forEach((cell, i) => {
    if (!isExecutable(cell)) return;
    const n = i + 1;
    for (const out of cell.outputs ?? []) {
      if (out.output_type === 'error') {
        failures.push({ cell: n, message: `${out.ename}: ${out.evalue}` });
      } else if (out.output_type === 'stream' && out.name === 'stderr' && text(out.text).trim() !== '') {
        failures.push({ cell: n, message: firstLines(text(out.text)) });
      }
    }
    if (cell.execution_count === null || cell.execution_count === undefined) {
      failures.push({ cell: n, message: 'not executed (the kernel skipped it, usually because an earlier cell failed)' });
    }
  });
  return failures;
}

function firstLines(s: string, max = 6): string {
  const lines = s.trim().split('\n');
  return lines.slice(0, max).join('\n') + (lines.length > max ? `\n… (${lines.length - max} more lines)` : '');
}

/** Problems that make a notebook unfit to commit: outputs or execution counts. */
export function committedNotebookProblems(nb: Notebook): CellFailure[] {
  const problems: CellFailure[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    if ((cell.outputs ?? []).length > 0) problems.push({ cell: i + 1, message: `has ${cell.outputs!.length} output(s)` });
    if (cell.execution_count !== null && cell.execution_count !== undefined) {
      problems.push({ cell: i + 1, message: `has execution_count ${cell.execution_count}` });
    }
  });
  return problems;
}
