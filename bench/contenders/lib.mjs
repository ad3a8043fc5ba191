// This library (@course-kit/lib, compiled dist): register-blocked Float64 kernels
// and the real training loop (createNetwork + train).
import { createRequire } from 'module';
import { cpuNow, gflops, timePerCall } from '../timing.mjs';

const require = createRequire(import.meta.url);

export const name = 'lib';
export const label = '@course-kit/lib (f64)';

export function load() {
  return require('@course-kit/lib');
}

/** C = A·B (A 256×784, B 784×128) with matmulAB, and the same product as A·(Bᵀ)ᵀ with matmulABt. */
export async function gemm(ctx) {
  const lib = load();
  const { m, k, n } = ctx.gemmShape;
  const A = lib.wrap(m, k, ctx.A);
  const B = lib.wrap(k, n, ctx.B);
  const Bt = lib.wrap(n, k, ctx.Bt);
  const C = lib.zeros(m, n);
  const ab = await timePerCall(() => lib.matmulAB(A, B, C));
  const abt = await timePerCall(() => lib.matmulABt(A, Bt, C));
  return {
    gflops: gflops(m, k, n, ab.ms),
    ms: ab.ms,
    cpuGflops: gflops(m, k, n, ab.cpuMs),
    extra: { matmulABt_gflops: gflops(m, k, n, abt.ms), matmulABt_cpuGflops: gflops(m, k, n, abt.cpuMs) },
  };
}

/**
 * One epoch of train(): seeded shuffle, gather mini-batches, forward, backward,
 * momentum update, running loss/accuracy. One warm-up epoch, then `reps`
 * epochs; EpochStats.ms times the training steps only (no evaluation).
 */
export async function epoch(ctx) {
  const lib = load();
  const { images, targets, hp } = ctx;
  const net = lib.createNetwork({
    inputs: 784,
    layers: [
      { size: hp.hidden, unit: 'logistic' },
      { size: 10, unit: 'softmax' },
    ],
    loss: 'softmax-cross-entropy',
    seed: 1,
  });
  // CPU time of epoch e = process CPU between the callbacks after epochs e−1 and e.
  const cpuAt = [];
  const history = lib.train(
    net,
    { inputs: images, targets },
    {
      epochs: 1 + hp.reps,
      batchSize: hp.batchSize,
      learningRate: hp.learningRate,
      momentum: hp.momentum,
      seed: 1,
      onEpoch: () => cpuAt.push(cpuNow()),
    },
  );
  const samples = history.slice(1).map((h) => h.ms);
  const cpuSamples = cpuAt.slice(1).map((c, i) => c - cpuAt[i]);
  return { ms: ctx.median(samples), cpuMs: ctx.median(cpuSamples), samples, extra: { trainLossAfter: history[history.length - 1].loss } };
}
