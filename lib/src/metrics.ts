/**
 * Scoring a classifier: the predicted class of each case, the fraction of
 * cases it gets right, and the confusion matrix that shows which digits it
 * mistakes for which.
 */
import { DataError, ShapeError } from './errors';
import { Matrix } from './matrix';

/**
 * The column of the largest value in each row (the first one on ties): the
 * predicted class when row i holds the output y of the softmax units for case i.
 */
export function argmaxRows(m: Matrix): Uint32Array {
  if (m.cols === 0) throw new ShapeError('argmaxRows', `m is ${m.rows}×0; each row needs at least one value`);
  const out = new Uint32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const off = i * m.cols;
    let best = 0;
    let bestValue = m.data[off]!;
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[off + j]!;
      if (Number.isNaN(v)) throw new DataError('argmaxRows', `m[${i}][${j}] is NaN`);
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

function checkClassList(where: string, name: string, values: ArrayLike<number>, classes?: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes)) {
      const range = classes === undefined ? 'a non-negative integer' : `an integer in [0, ${classes - 1}]`;
      throw new DataError(where, `${name}[${i}] is ${v}; it must be ${range}`);
    }
  }
}

function checkPair(where: string, pred: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (pred.length !== labels.length) {
    throw new ShapeError(where, `pred has ${pred.length} entries but labels has ${labels.length}`);
  }
  if (pred.length === 0) throw new DataError(where, 'pred and labels are empty');
}

/** The fraction of cases whose predicted class equals the true label, in [0, 1]. */
export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkPair('accuracy', pred, labels);
  checkClassList('accuracy', 'pred', pred);
  checkClassList('accuracy', 'labels', labels);
  let right = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) right++;
  return right / pred.length;
}

/**
 * Counts per (true class, predicted class): entry [t][p] is the number of
 * cases of class t that were classified as p. Rows are true classes, columns
 * predictions, so the diagonal holds the correct answers and each row sums to
 * the number of cases of that class.
 */
export function confusionMatrix(pred: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number[][] {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new DataError('confusionMatrix', `classes is ${classes}; it must be a positive integer`);
  }
  checkPair('confusionMatrix', pred, labels);
  checkClassList('confusionMatrix', 'pred', pred, classes);
  checkClassList('confusionMatrix', 'labels', labels, classes);
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < pred.length; i++) counts[labels[i]!]![pred[i]!]!++;
  return counts;
}
