/**
 * Homework notebooks: reading .ipynb files, the course_kit cell metadata, the
 * `// BEGIN SOLUTION` / `// BEGIN HIDDEN TESTS` regions, and validation of a
 * source (instructor) notebook. Every validation error names the cell.
 */
import { readFileSync } from 'fs';

export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/**
 * Kinds of graded cells: setup (instructor code run before everything), solution (student code), tests,
 * and manual: a markdown cell holding a written answer, graded by a person against a rubric.
 */
export type CellKind = 'setup' | 'solution' | 'tests' | 'manual';

/** One rubric criterion of a manually graded item: awarded in one click, or partly. */
export interface RubricCriterion {
  id: string;
  text: string;
  points: number;
}

/** `metadata.course_kit` of a graded cell. */
export interface CourseKitMeta {
  id: string;
  kind: CellKind;
  question?: string;
  points?: number;
  /** Manual cells: the criteria; their points sum to `points`. */
  rubric?: RubricCriterion[];
}

/** Kernel metadata for TypeScript course notebooks (the kit's tslab kernel, see notebook/kernelspec.ts). */
export { NOTEBOOK_KERNELSPEC as KERNELSPEC } from '../notebook/kernelspec';

export const MARKERS = {
  beginSolution: '// BEGIN SOLUTION',
  endSolution: '// END SOLUTION',
  beginHidden: '// BEGIN HIDDEN TESTS',
  endHidden: '// END HIDDEN TESTS',
};

export class NotebookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotebookError';
  }
}

export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
}

/** Jupyter stores sources as lines that keep their newline. */
export function toSourceLines(text: string): string[] {
  const lines = text.split('\n');
  return lines.map((l, i) => (i < lines.length - 1 ? l + '\n' : l)).filter((l) => l !== '');
}

/** Parse notebook JSON; throws NotebookError saying what is wrong. */
export function parseNotebook(text: string, where: string): Notebook {
  if (text.trim() === '') {
    throw new NotebookError(`${where}: the file is empty (0 bytes of notebook): the upload or the save failed; submit the notebook again (File → Save, then upload the .ipynb)`);
  }
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    const html = /^\s*</.test(text) ? ' — it looks like HTML (a web page saved instead of the notebook; download the .ipynb itself)' : '';
    throw new NotebookError(`${where}: not a Jupyter notebook: the file is not valid JSON (${(e as Error).message})${html}; it may be truncated or edited by hand — submit the .ipynb saved by Jupyter or VS Code`);
  }
  if (!nb || typeof nb !== 'object' || Array.isArray(nb)) throw new NotebookError(`${where}: not a Jupyter notebook (the JSON is not an object with "cells")`);
  const format = (nb as { nbformat?: unknown }).nbformat;
  if (typeof format === 'number' && format < 4) {
    throw new NotebookError(`${where}: nbformat ${format} notebook (cells inside "worksheets"): this kit reads nbformat 4 — open it in Jupyter ≥ 4 (or VS Code) and save it, which converts it, or run "jupyter nbconvert --to notebook --nbformat 4"`);
  }
  if (!Array.isArray((nb as Notebook).cells)) {
    throw new NotebookError(`${where}: not a Jupyter notebook (no "cells" array${typeof format === 'number' ? '' : ' and no nbformat'}): submit the .ipynb saved by Jupyter or VS Code`);
  }
  const cells = (nb as Notebook).cells;
  cells.forEach((c, i) => {
    if (!c || typeof c !== 'object' || typeof c.cell_type !== 'string') {
      throw new NotebookError(`${where}: cell #${i + 1} is not a notebook cell`);
    }
    if (!c.metadata || typeof c.metadata !== 'object') c.metadata = {};
    if (c.source === undefined) c.source = '';
  });
  const n = nb as Notebook;
  n.metadata ??= {};
  return n;
}

export function readNotebook(path: string): Notebook {
  return parseNotebook(readFileSync(path, 'utf8'), path);
}

/** The course_kit metadata of a cell, or undefined (never throws on junk). */
export function courseKitMeta(cell: NotebookCell): Partial<CourseKitMeta> | undefined {
  const m = cell.metadata?.course_kit;
  return m && typeof m === 'object' ? (m as Partial<CourseKitMeta>) : undefined;
}

/** How to refer to a cell in messages: "cell #3 (q1-tests)". */
export function cellName(index: number, cell: NotebookCell): string {
  const id = courseKitMeta(cell)?.id;
  return `cell #${index + 1}${typeof id === 'string' ? ` (${id})` : ''}`;
}

/** A piece of a cell's code, inside or outside a marked region. */
export interface Segment {
  code: string;
  region: 'plain' | 'solution' | 'hidden';
}

/**
 * Split code at the region markers. Markers must stand on their own line,
 * regions cannot nest, and every BEGIN needs its END.
 */
export function splitRegions(code: string, where: string): Segment[] {
  const segments: Segment[] = [];
  let region: Segment['region'] = 'plain';
  let lines: string[] = [];
  const flush = () => {
    if (lines.length > 0) segments.push({ code: lines.join('\n'), region });
    lines = [];
  };
  code.split('\n').forEach((line, i) => {
    const t = line.trim();
    const at = `${where}, line ${i + 1}`;
    if (t === MARKERS.beginSolution || t === MARKERS.beginHidden) {
      if (region !== 'plain') throw new NotebookError(`${at}: "${t}" inside an open ${region} region`);
      flush();
      region = t === MARKERS.beginSolution ? 'solution' : 'hidden';
    } else if (t === MARKERS.endSolution || t === MARKERS.endHidden) {
      const expected = t === MARKERS.endSolution ? 'solution' : 'hidden';
      if (region !== expected) throw new NotebookError(`${at}: "${t}" without a matching BEGIN`);
      flush();
      region = 'plain';
    } else {
      lines.push(line);
    }
  });
  if (region !== 'plain') throw new NotebookError(`${where}: the ${region} region is never closed (missing END marker)`);
  flush();
  return segments;
}

/** Count `test(` calls: used for the hidden-test count written into the student notebook. */
export function countTests(code: string): number {
  return (code.match(/(^|[^\w.$])test\s*\(/g) ?? []).length;
}

export interface SourceCell {
  index: number;
  cell: NotebookCell;
  meta?: CourseKitMeta;
  code: string;
  segments: Segment[];
}

/** A validated source notebook. */
export interface Assignment {
  name: string;
  path?: string;
  notebook: Notebook;
  cells: SourceCell[];
  /** Total points over all test cells and manual cells. */
  maxPoints: number;
  /** Points of the manual (written answer) cells, part of maxPoints. */
  manualPoints: number;
}

/** Checks a rubric: simple unique ids, text, positive points summing to the item's points. Returns problems. */
export function rubricProblems(rubric: unknown, points: number): string[] {
  if (!Array.isArray(rubric) || rubric.length === 0) return ['needs a rubric: a list of { id, text, points } criteria'];
  const problems: string[] = [];
  const ids = new Set<string>();
  let sum = 0;
  rubric.forEach((c: Partial<RubricCriterion>, i) => {
    if (!c || typeof c !== 'object') { problems.push(`rubric[${i}] is not an object`); return; }
    if (typeof c.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(c.id)) problems.push(`rubric[${i}].id missing or not a simple name`);
    else if (ids.has(c.id)) problems.push(`rubric[${i}].id "${c.id}" is used twice`);
    else ids.add(c.id);
    if (typeof c.text !== 'string' || c.text.trim() === '') problems.push(`rubric[${i}].text missing`);
    if (typeof c.points !== 'number' || !(c.points > 0)) problems.push(`rubric[${i}].points must be a positive number`);
    else sum += c.points;
  });
  if (problems.length === 0 && Math.abs(sum - points) > 1e-9) problems.push(`rubric points sum to ${sum}, the item has ${points}`);
  return problems;
}

/** Validate a source notebook: ids unique, kinds known, points on test cells, markers balanced. */
export function loadAssignment(nb: Notebook, name: string, path?: string): Assignment {
  const ids = new Map<string, number>();
  const cells: SourceCell[] = [];
  let maxPoints = 0;
  let manualPoints = 0;
  nb.cells.forEach((cell, index) => {
    const where = cellName(index, cell);
    const code = cellSource(cell);
    const raw = courseKitMeta(cell);
    if (cell.cell_type === 'markdown' && raw?.kind === 'manual') {
      // A written answer: the source holds the model answer (instructor only); release writes a placeholder.
      if (typeof raw.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(raw.id)) throw new NotebookError(`${where}: course_kit.id missing or not a simple name`);
      if (ids.has(raw.id)) throw new NotebookError(`${where}: duplicate id "${raw.id}" (also cell #${ids.get(raw.id)! + 1})`);
      ids.set(raw.id, index);
      if (typeof raw.points !== 'number' || !(raw.points > 0)) throw new NotebookError(`${where}: manual cell without positive course_kit.points`);
      if (typeof raw.question !== 'string') throw new NotebookError(`${where}: manual cell without course_kit.question`);
      const rp = rubricProblems(raw.rubric, raw.points);
      if (rp.length > 0) throw new NotebookError(`${where}: ${rp.join('; ')}`);
      maxPoints += raw.points;
      manualPoints += raw.points;
      cells.push({ index, cell, code, segments: [{ code, region: 'solution' }], meta: raw as CourseKitMeta });
      return;
    }
    if (cell.cell_type !== 'code') {
      if (raw) throw new NotebookError(`${where}: course_kit metadata on a ${cell.cell_type} cell`);
      cells.push({ index, cell, code, segments: [{ code, region: 'plain' }] });
      return;
    }
    const segments = splitRegions(code, where);
    if (!raw) {
      if (segments.some((s) => s.region !== 'plain')) throw new NotebookError(`${where}: has region markers but no course_kit metadata`);
      cells.push({ index, cell, code, segments });
      return;
    }
    if (typeof raw.id !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(raw.id)) throw new NotebookError(`${where}: course_kit.id missing or not a simple name`);
    if (ids.has(raw.id)) throw new NotebookError(`${where}: duplicate id "${raw.id}" (also cell #${ids.get(raw.id)! + 1})`);
    ids.set(raw.id, index);
    if (raw.kind === 'manual') throw new NotebookError(`${where}: a manual (written answer) cell must be a markdown cell`);
    if (raw.kind !== 'setup' && raw.kind !== 'solution' && raw.kind !== 'tests') {
      throw new NotebookError(`${where}: course_kit.kind must be setup, solution, tests or manual (got ${JSON.stringify(raw.kind)})`);
    }
    const hasSolution = segments.some((s) => s.region === 'solution');
    const hasHidden = segments.some((s) => s.region === 'hidden');
    if (raw.kind === 'tests') {
      if (typeof raw.points !== 'number' || !(raw.points > 0)) throw new NotebookError(`${where}: test cell without positive course_kit.points`);
      if (typeof raw.question !== 'string') throw new NotebookError(`${where}: test cell without course_kit.question`);
      if (hasSolution) throw new NotebookError(`${where}: SOLUTION region in a test cell`);
      for (const s of segments) {
        if (s.region === 'hidden' && /\bexpect\s*:/.test(s.code)) {
          throw new NotebookError(`${where}: a hidden test states "expect:"; hidden tests take expected values from the reference solution`);
        }
      }
      maxPoints += raw.points;
    } else if (raw.kind === 'solution') {
      if (!hasSolution) throw new NotebookError(`${where}: solution cell without a BEGIN SOLUTION region`);
      if (hasHidden) throw new NotebookError(`${where}: HIDDEN TESTS region outside a test cell`);
    } else if (hasSolution || hasHidden) {
      throw new NotebookError(`${where}: setup cell with region markers`);
    }
    cells.push({ index, cell, code, segments, meta: raw as CourseKitMeta });
  });
  return { name, path, notebook: nb, cells, maxPoints, manualPoints };
}
