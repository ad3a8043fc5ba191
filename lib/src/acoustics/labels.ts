import { ConfigError, DataError } from '../errors';
import { zeros, type Matrix } from '../matrix';
import { argmaxRows } from '../metrics';
import { Rng } from '../rng';

/**
 * Range labels, metrics and leak-free splits for source localisation.
 *
 * Classification (Niu et al. 2017): the ranges 0.1 … 2.86 km are cut into 138 bins of
 * 20 m, [0.10, 0.12), [0.12, 0.14), … [2.84, 2.86]; class k is bin k and stands for its
 * centre 0.11 + 0.02k km. (138 = 2.76 km / 20 m: the "138 classes on a 20 m grid
 * from 0.1 to 2.86 km" counts bins, not grid points, which would be 139.)
 * Regression: the target is the range in km itself.
 */
export const RANGE_MIN_KM = 0.1;
export const RANGE_MAX_KM = 2.86;
export const RANGE_STEP_KM = 0.02;
export const RANGE_CLASSES = 138;

/** Class (bin) of a range in km; ranges outside [0.1, 2.86] km go to the nearest end bin. */
export function rangeClass(rangeKm: number): number {
  if (!Number.isFinite(rangeKm)) throw new DataError('rangeClass', `range is ${rangeKm} km; it must be a finite number`);
  const k = Math.floor((rangeKm - RANGE_MIN_KM) / RANGE_STEP_KM + 1e-9);
  return Math.min(RANGE_CLASSES - 1, Math.max(0, k));
}

/** Centre of class k in km: 0.11 + 0.02k. */
export function classCenterKm(k: number): number {
  if (!Number.isInteger(k) || k < 0 || k >= RANGE_CLASSES) throw new DataError('classCenterKm', `class ${k} is out of range 0 … ${RANGE_CLASSES - 1}`);
  return RANGE_MIN_KM + (k + 0.5) * RANGE_STEP_KM;
}

/** Classes of many ranges. */
export function rangeClasses(rangesKm: ArrayLike<number>): Uint32Array {
  return Uint32Array.from({ length: rangesKm.length }, (_, k) => rangeClass(rangesKm[k]!));
}

/** One-hot targets (n × 138) for classification. */
export function rangeTargetsOneHot(rangesKm: ArrayLike<number>): Matrix {
  const m = zeros(rangesKm.length, RANGE_CLASSES);
  for (let k = 0; k < rangesKm.length; k++) m.data[k * RANGE_CLASSES + rangeClass(rangesKm[k]!)] = 1;
  return m;
}

/** Targets (n × 1) holding the range in km, for regression. */
export function rangeTargetsKm(rangesKm: ArrayLike<number>): Matrix {
  const m = zeros(rangesKm.length, 1);
  for (let k = 0; k < rangesKm.length; k++) m.data[k] = rangesKm[k]!;
  return m;
}

/**
 * Predicted ranges in km from network outputs: the centre of the most probable class for
 * 138 outputs (classification), the output itself for one output (regression).
 */
export function outputsToRangeKm(outputs: Matrix): Float64Array {
  if (outputs.cols === 1) return Float64Array.from(outputs.data.subarray(0, outputs.rows));
  if (outputs.cols !== RANGE_CLASSES) {
    throw new DataError('outputsToRangeKm', `outputs have ${outputs.cols} columns; expected 1 (regression, km) or ${RANGE_CLASSES} (range classes)`);
  }
  return Float64Array.from(argmaxRows(outputs), classCenterKm);
}

/** Mean absolute percentage error 100/N Σ |R_pred − R_true| / R_true, in percent. */
export function mape(predKm: ArrayLike<number>, trueKm: ArrayLike<number>): number {
  if (predKm.length !== trueKm.length) throw new DataError('mape', `${predKm.length} predictions but ${trueKm.length} true ranges`);
  if (predKm.length === 0) throw new DataError('mape', 'no predictions');
  let s = 0;
  for (let k = 0; k < predKm.length; k++) {
    const t = trueKm[k]!;
    if (!(t > 0)) throw new DataError('mape', `true range ${k} is ${t}; MAPE needs positive ranges`);
    s += Math.abs(predKm[k]! - t) / t;
  }
  return (100 * s) / predKm.length;
}

/** Fraction of predictions that fall in the true range's 20 m class. */
export function rangeAccuracy(predKm: ArrayLike<number>, trueKm: ArrayLike<number>): number {
  if (predKm.length !== trueKm.length || predKm.length === 0) throw new DataError('rangeAccuracy', 'need equally many (≥ 1) predictions and true ranges');
  let c = 0;
  for (let k = 0; k < predKm.length; k++) if (rangeClass(predKm[k]!) === rangeClass(trueKm[k]!)) c++;
  return c / predKm.length;
}

/** Indices of a train/test split. */
export interface Split {
  train: Uint32Array;
  test: Uint32Array;
}

/** Train on every group (track) not listed, test on the listed ones: no SCM of a test track is seen in training. */
export function splitByGroup(groups: ArrayLike<number>, testGroups: readonly number[]): Split {
  if (testGroups.length === 0) throw new ConfigError('splitByGroup', 'testGroups is empty');
  const test = new Set(testGroups);
  const tr: number[] = [];
  const te: number[] = [];
  for (let k = 0; k < groups.length; k++) (test.has(groups[k]!) ? te : tr).push(k);
  if (tr.length === 0 || te.length === 0) throw new DataError('splitByGroup', `the split leaves ${tr.length} training and ${te.length} test cases; pick test groups that exist and are not all of them`);
  return { train: Uint32Array.from(tr), test: Uint32Array.from(te) };
}

/**
 * Contiguous time blocks within each group: block b = floor(time/blockSeconds); every
 * `testEvery`-th block (offset `phase`) is test, the rest training, and cases within
 * `gapSeconds` of a block boundary are dropped so that overlapping SCM windows do not
 * straddle the two sets.
 */
export function splitByTimeBlocks(
  time: ArrayLike<number>,
  options: { blockSeconds: number; testEvery?: number; phase?: number; gapSeconds?: number },
): Split {
  const where = 'splitByTimeBlocks';
  const { blockSeconds } = options;
  const every = options.testEvery ?? 5;
  const phase = options.phase ?? 0;
  const gap = options.gapSeconds ?? 0;
  if (!(blockSeconds > 0)) throw new ConfigError(where, `blockSeconds must be positive, got ${blockSeconds}`);
  if (!Number.isInteger(every) || every < 2) throw new ConfigError(where, `testEvery must be an integer ≥ 2, got ${every}`);
  if (!(gap >= 0) || gap * 2 >= blockSeconds) throw new ConfigError(where, `gapSeconds must be in [0, blockSeconds/2), got ${gap}`);
  const tr: number[] = [];
  const te: number[] = [];
  for (let k = 0; k < time.length; k++) {
    const t = time[k]!;
    const b = Math.floor(t / blockSeconds);
    const inBlock = t - b * blockSeconds;
    if (inBlock < gap || blockSeconds - inBlock < gap) continue;
    ((b - phase) % every === 0 ? te : tr).push(k);
  }
  if (tr.length === 0 || te.length === 0) throw new DataError(where, `the split leaves ${tr.length} training and ${te.length} test cases`);
  return { train: Uint32Array.from(tr), test: Uint32Array.from(te) };
}

/** A random split (shown only to teach why it is optimistic for SCMs along a track). */
export function randomSplit(n: number, testFraction: number, seed = 1): Split {
  if (!(testFraction > 0 && testFraction < 1)) throw new ConfigError('randomSplit', `testFraction must be in (0, 1), got ${testFraction}`);
  const perm = new Rng(seed).permutation(n);
  const nt = Math.max(1, Math.round(n * testFraction));
  return { test: perm.slice(0, nt).sort(), train: perm.slice(nt).sort() };
}
