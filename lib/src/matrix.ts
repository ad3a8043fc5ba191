import { ShapeError, assertFinite } from './errors';

/**
 * A dense row-major matrix of float64: element (i, j) is data[i * cols + j].
 * A batch of training cases is a matrix with one case per row.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A zero matrix of the given shape. */
export function zeros(rows: number, cols: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ShapeError('zeros', `shape must be two non-negative integers, got ${rows}×${cols}`);
  }
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** Wraps existing storage as a matrix, checking that the length fits the shape. */
export function wrap(rows: number, cols: number, data: Float64Array): Matrix {
  if (data.length !== rows * cols) {
    throw new ShapeError('wrap', `data has ${data.length} values but a ${rows}×${cols} matrix needs ${rows * cols}`);
  }
  return { rows, cols, data };
}

/** Builds a matrix from nested arrays (one inner array per row), rejecting ragged rows and NaN. */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0]!.length;
  const m = zeros(r, c);
  for (let i = 0; i < r; i++) {
    const row = rows[i]!;
    if (row.length !== c) {
      throw new ShapeError('fromRows', `row ${i} has ${row.length} values but row 0 has ${c}`);
    }
    for (let j = 0; j < c; j++) m.data[i * c + j] = row[j]!;
  }
  assertFinite('fromRows', 'value', m.data);
  return m;
}

/** Nested plain arrays, one per row. */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** Element (i, j). */
export function get(m: Matrix, i: number, j: number): number {
  return m.data[i * m.cols + j]!;
}

/** A copy with its own storage. */
export function clone(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: m.data.slice() };
}

/** Rows [start, end) as a view that shares storage (no copy). */
export function rowSlice(m: Matrix, start: number, end: number): Matrix {
  return { rows: end - start, cols: m.cols, data: m.data.subarray(start * m.cols, end * m.cols) };
}

/** Throws a ShapeError unless m is rows×cols. */
export function assertShape(where: string, name: string, m: Matrix, rows: number, cols: number): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new ShapeError(where, `${name} is ${m.rows}×${m.cols} but must be ${rows}×${cols}`);
  }
}
