// @tensorflow/tfjs-core with the pure-JS CPU backend. It only has float32, so
// its numbers are for float32 arithmetic (half the memory traffic of f64).
import { createRequire } from 'module';
import { cpuNow, gflops, permutation, seededUniform, timePerCall } from '../timing.mjs';

const require = createRequire(import.meta.url);

export const name = 'tfjs_cpu';
export const label = 'tfjs-backend-cpu (f32)';

async function tfjs() {
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
  // Silence the one-time "install tfjs-node" banner: that native backend is not the contender here.
  tf.backend().firstUse = false;
  return tf;
}

export async function gemm(ctx) {
  const tf = await tfjs();
  const { m, k, n } = ctx.gemmShape;
  const A = tf.tensor2d(Float32Array.from(ctx.A), [m, k]);
  const B = tf.tensor2d(Float32Array.from(ctx.B), [k, n]);
  const t = await timePerCall(() => {
    const C = tf.matMul(A, B);
    C.dataSync();
    C.dispose();
  });
  A.dispose();
  B.dispose();
  return { gflops: gflops(m, k, n, t.ms), ms: t.ms, cpuGflops: gflops(m, k, n, t.cpuMs), extra: { dtype: 'float32', backend: tf.getBackend() } };
}

/**
 * One epoch with hand-written forward/backward in tf ops (the same maths as
 * the library: logistic hidden layer, softmax output, dE/dx = y − t, momentum
 * SGD), each mini-batch inside tf.tidy; the loss is read back every batch.
 */
export async function epoch(ctx) {
  const tf = await tfjs();
  const { images, targets, hp } = ctx;
  const n = images.rows;
  const H = hp.hidden;
  const bs = hp.batchSize;
  const X = tf.tensor2d(Float32Array.from(images.data), [n, 784]);
  const T = tf.tensor2d(Float32Array.from(targets.data), [n, 10]);
  const rand = seededUniform(21);
  const init = (rows, cols, scale) => tf.variable(tf.tensor2d(Float32Array.from({ length: rows * cols }, () => (rand() * 2 - 1) * scale), [rows, cols]));
  // Stored input×output here so the forward pass is x·W (no transpose).
  const W1 = init(784, H, 1 / Math.sqrt(784));
  const b1 = tf.variable(tf.zeros([H]));
  const W2 = init(H, 10, 1 / Math.sqrt(H));
  const b2 = tf.variable(tf.zeros([10]));
  const params = [W1, b1, W2, b2];
  const vel = params.map((p) => tf.variable(tf.zerosLike(p)));
  const mu = hp.momentum;
  const lr = hp.learningRate;
  const next = seededUniform(22);

  function runEpoch() {
    const order = permutation(n, next);
    let lossSum = 0;
    for (let s = 0; s < n; s += bs) {
      const idx = order.subarray(s, Math.min(n, s + bs));
      lossSum += tf.tidy(() => {
        const ids = tf.tensor1d(idx, 'int32');
        const xb = tf.gather(X, ids);
        const tb = tf.gather(T, ids);
        const h = tf.sigmoid(tf.add(tf.matMul(xb, W1), b1));
        const z2 = tf.add(tf.matMul(h, W2), b2);
        const y = tf.softmax(z2);
        const loss = tf.neg(tf.sum(tf.mul(tb, tf.logSoftmax(z2))));
        const d2 = tf.div(tf.sub(y, tb), idx.length);
        const gW2 = tf.matMul(h, d2, true, false);
        const gb2 = tf.sum(d2, 0);
        const dh = tf.matMul(d2, W2, false, true);
        const d1 = tf.mul(dh, tf.mul(h, tf.sub(1, h)));
        const gW1 = tf.matMul(xb, d1, true, false);
        const gb1 = tf.sum(d1, 0);
        const grads = [gW1, gb1, gW2, gb2];
        for (let p = 0; p < params.length; p++) {
          const v = tf.sub(tf.mul(vel[p], mu), tf.mul(grads[p], lr));
          vel[p].assign(v);
          params[p].assign(tf.add(params[p], v));
        }
        return loss.dataSync()[0];
      });
    }
    return lossSum / n;
  }

  runEpoch(); // warm-up
  const samples = [];
  const cpuSamples = [];
  for (let r = 0; r < hp.tfjsReps; r++) {
    const c0 = cpuNow();
    const t0 = performance.now();
    runEpoch();
    samples.push(performance.now() - t0);
    cpuSamples.push(cpuNow() - c0);
  }
  for (const t of [X, T, ...params, ...vel]) t.dispose();
  return { ms: ctx.median(samples), cpuMs: ctx.median(cpuSamples), samples, extra: { dtype: 'float32' } };
}
