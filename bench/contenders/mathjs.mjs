// A plain mathjs implementation: DenseMatrix multiply/transpose/add and
// element-wise map, written the way a student would with mathjs alone.
import { createRequire } from 'module';
import { cpuNow, gflops, permutation, seededUniform, timePerCall } from '../timing.mjs';

const require = createRequire(import.meta.url);

export const name = 'mathjs';
export const label = 'mathjs (f64, plain)';

function toNested(data, rows, cols) {
  const out = [];
  for (let i = 0; i < rows; i++) out.push(Array.from(data.subarray(i * cols, (i + 1) * cols)));
  return out;
}

export async function gemm(ctx) {
  const m = require('mathjs');
  const { m: M, k, n } = ctx.gemmShape;
  const A = m.matrix(toNested(ctx.A, M, k));
  const B = m.matrix(toNested(ctx.B, k, n));
  const t = await timePerCall(() => m.multiply(A, B), { warmup: 1, reps: 5, minMs: 100 });
  return { gflops: gflops(M, k, n, t.ms), ms: t.ms, cpuGflops: gflops(M, k, n, t.cpuMs) };
}

/**
 * mathjs is far too slow for a whole epoch inside a 3-minute benchmark, so this
 * times `hp.mathjsBatches` mini-batches (after 2 warm-up batches), takes the
 * median batch time and scales it to the 10,000-case epoch: ms/batch × n/batchSize.
 */
export async function epoch(ctx) {
  const m = require('mathjs');
  const { images, targets, hp } = ctx;
  const n = images.rows;
  const H = hp.hidden;
  const bs = hp.batchSize;
  const rand = seededUniform(11);
  const init = (rows, cols, scale) => m.matrix(Array.from({ length: rows }, () => Array.from({ length: cols }, () => (rand() * 2 - 1) * scale)));
  let W1 = init(H, 784, 1 / Math.sqrt(784));
  let b1 = m.zeros(1, H);
  let W2 = init(10, H, 1 / Math.sqrt(H));
  let b2 = m.zeros(1, 10);
  let vW1 = m.zeros(H, 784);
  let vb1 = m.zeros(1, H);
  let vW2 = m.zeros(10, H);
  let vb2 = m.zeros(1, 10);
  const X = toNested(images.data, n, 784);
  const T = toNested(targets.data, n, 10);
  const order = permutation(n, seededUniform(12));
  const mu = hp.momentum;
  const lr = hp.learningRate;

  function step(start) {
    const idx = order.subarray(start, start + bs);
    const xb = m.matrix(Array.from(idx, (i) => X[i]));
    const tb = m.matrix(Array.from(idx, (i) => T[i]));
    // forward: y1 = logistic(x·W1ᵀ + b1), y2 = softmax(y1·W2ᵀ + b2)
    const h = m.map(m.add(m.multiply(xb, m.transpose(W1)), b1), (v) => 1 / (1 + Math.exp(-v)));
    const z2 = m.add(m.multiply(h, m.transpose(W2)), b2).toArray();
    const y = m.matrix(
      z2.map((row) => {
        const mx = Math.max(...row);
        const e = row.map((v) => Math.exp(v - mx));
        const s = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / s);
      }),
    );
    const loss = -m.sum(m.dotMultiply(tb, m.map(y, (v) => Math.log(v + 1e-300)))) / bs;
    // backward: dE/dx2 = (y − t)/B, dE/dW2 = dx2ᵀ·h, dE/dy1 = dx2·W2, dE/dx1 = dE/dy1 ∘ h(1 − h), dE/dW1 = dx1ᵀ·x
    const d2 = m.divide(m.subtract(y, tb), bs);
    const gW2 = m.multiply(m.transpose(d2), h);
    const gb2 = m.reshape(m.sum(d2, 0), [1, 10]);
    const dh = m.multiply(d2, W2);
    const d1 = m.dotMultiply(dh, m.map(h, (v) => v * (1 - v)));
    const gW1 = m.multiply(m.transpose(d1), xb);
    const gb1 = m.reshape(m.sum(d1, 0), [1, H]);
    // momentum update: v ← μv − εg, w ← w + v
    vW1 = m.subtract(m.multiply(vW1, mu), m.multiply(gW1, lr));
    vb1 = m.subtract(m.multiply(vb1, mu), m.multiply(gb1, lr));
    vW2 = m.subtract(m.multiply(vW2, mu), m.multiply(gW2, lr));
    vb2 = m.subtract(m.multiply(vb2, mu), m.multiply(gb2, lr));
    W1 = m.add(W1, vW1);
    b1 = m.add(b1, vb1);
    W2 = m.add(W2, vW2);
    b2 = m.add(b2, vb2);
    return loss;
  }

  const batches = hp.mathjsBatches;
  const samples = [];
  const cpuSamples = [];
  let start = 0;
  for (let i = 0; i < 2; i++, start += bs) step(start);
  const deadline = performance.now() + hp.mathjsBudgetMs;
  for (let i = 0; i < batches && performance.now() < deadline; i++, start += bs) {
    const c0 = cpuNow();
    const t0 = performance.now();
    step(start);
    samples.push(performance.now() - t0);
    cpuSamples.push(cpuNow() - c0);
  }
  const perBatch = ctx.median(samples);
  return {
    ms: (perBatch * n) / bs,
    cpuMs: (ctx.median(cpuSamples) * n) / bs,
    samples,
    extra: { extrapolated: true, batchesTimed: samples.length, msPerBatch: perBatch },
  };
}
