/**
 * `release`: the student notebook from the source notebook. Solution regions
 * become a stub that throws a clear "not implemented" error, hidden tests are
 * replaced by a `hiddenTests(question, n)` line (so `check` can say how many
 * run at grading), ids and points are kept, outputs cleared.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { dirname } from 'path';
import { courseLibExports, missingImports } from './authoring';
import { Assignment, KERNELSPEC, NotebookError, Notebook, NotebookCell, SourceCell, countTests, loadAssignment, readNotebook, toSourceLines } from './notebook';

/** The line that replaces a solution region; indentation follows the region's first line. */
export function solutionStub(code: string, label: string): string {
  const indent = /^[ \t]*/.exec(code.split('\n').find((l) => l.trim() !== '') ?? '')![0];
  return `${indent}throw new Error('not implemented: ${label} (replace this line with your code)');`;
}

function releasedCode(c: SourceCell): string {
  const label = c.meta?.question ?? c.meta?.id ?? 'exercise';
  return c.segments
    .map((s) => {
      if (s.region === 'solution') return solutionStub(s.code, label);
      if (s.region === 'hidden') {
        const n = countTests(s.code);
        return `hiddenTests('${c.meta!.question}', ${n}); // ${n} hidden test${n === 1 ? '' : 's'}, run at grading`;
      }
      return s.code;
    })
    .join('\n');
}

/** What a released written-answer (manual) cell holds until the student replaces it. */
export const MANUAL_PLACEHOLDER = '_Write your answer here (replace this line; Markdown and $\\LaTeX$ work)._';

/** The student version of one source cell (also used for deleted cells at grading). */
export function releasedCell(c: SourceCell): NotebookCell {
  const manual = c.meta?.kind === 'manual';
  const cell: NotebookCell = {
    cell_type: c.cell.cell_type,
    metadata: { ...c.cell.metadata },
    source: toSourceLines(c.cell.cell_type === 'code' ? releasedCode(c) : manual ? MANUAL_PLACEHOLDER : c.code),
  };
  if (manual) {
    // The model answer never leaves; the rubric stays with the instructor too (it may hint at the answer).
    const { rubric: _rubric, ...meta } = c.meta!;
    void _rubric;
    cell.metadata.course_kit = meta;
  }
  if (c.cell.id) cell.id = c.cell.id;
  if (c.cell.cell_type === 'code') {
    cell.outputs = [];
    cell.execution_count = null;
    if (c.meta && c.meta.kind !== 'solution') {
      // Jupyter honours these: students cannot edit or delete instructor cells by accident.
      cell.metadata.editable = false;
      cell.metadata.deletable = false;
    }
  }
  return cell;
}

/** Build the student notebook (pure). */
export function releaseAssignment(a: Assignment): Notebook {
  return {
    nbformat: a.notebook.nbformat ?? 4,
    nbformat_minor: a.notebook.nbformat_minor ?? 5,
    metadata: {
      ...a.notebook.metadata,
      kernelspec: (a.notebook.metadata.kernelspec as object | undefined) ?? KERNELSPEC,
      course_kit: { assignment: a.name, released: true, max_points: a.maxPoints },
    },
    cells: a.cells.map(releasedCell),
  };
}

export interface ReleaseOptions {
  /** The source notebook (.ipynb with reference solutions and hidden tests). */
  source: string;
  /** Where to write the student notebook. */
  out: string;
  /** Assignment name (default: from the notebook metadata or file name). */
  assignment?: string;
  /** Skip the import check (authoring.ts); default false. */
  skipChecks?: boolean;
}

export function assignmentName(nb: Notebook, path: string): string {
  const meta = nb.metadata.course_kit as { assignment?: unknown } | undefined;
  if (meta && typeof meta.assignment === 'string') return meta.assignment;
  return /([^/\\]+?)(\.source)?\.ipynb$/.exec(path)?.[1] ?? 'assignment';
}

/** Validate the source notebook and write the student notebook; returns the validated assignment. */
export function releaseNotebook(options: ReleaseOptions): Assignment {
  const nb = readNotebook(options.source);
  const a = loadAssignment(nb, options.assignment ?? assignmentName(nb, options.source), options.source);
  if (!options.skipChecks) {
    const problems = missingImports(a, courseLibExports());
    if (problems.length > 0) throw new NotebookError(problems.join('\n'));
  }
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, JSON.stringify(releaseAssignment(a), null, 1) + '\n');
  return a;
}
