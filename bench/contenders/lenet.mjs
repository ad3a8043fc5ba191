// LeNet-5, one training epoch over 8,000 MNIST digits (the seeded stratified training split
// of the 05b notebook), batch 32, SGD lr 0.05 with momentum 0.9, tanh units, average pooling:
//   lib          @course-kit/lib (float64): lenet5() + train(), the real training loop, one thread
//   lib_2t       the same with net.setThreads(2): each batch split in halves over two threads
//   tfjs_cpu     @tensorflow/tfjs (float32) on its cpu backend: a few timed batches, extrapolated
//   torch_*      PyTorch on the CPU through /usr/bin/python3 (Debian's python3-torch) when
//                `import torch` works there: float64 1 thread, float32 1 thread, float32 2 threads;
//                null with a note otherwise.
// Every contender's epoch is timed in the same run; compare ratios, not absolute times.
import { spawnSync } from 'child_process';
import { createRequire } from 'module';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { cpuNow } from '../timing.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

export const hp = { batchSize: 32, learningRate: 0.05, momentum: 0.9, trainSize: 8000 };

/** The 8,000 training digits (inputs, one-hot targets, labels) from the notebook's split. */
export function lenetData(lib) {
  const { images, labels } = lib.loadMnist();
  const { train } = lib.stratifiedSplit(labels, { testSize: 2000, seed: 1 });
  const lab = Uint8Array.from(train, (i) => labels[i]);
  return { inputs: lib.takeRows(images, train), targets: lib.oneHot(lab, 10), labels: lab };
}

/** lib: one warm-up epoch, then `reps` timed epochs of train(); EpochStats.ms is the training time only. */
export function libEpoch(lib, data, { reps = 1, threads = 1 } = {}) {
  const net = lib.lenet5({ seed: 1 });
  if (threads === 2 && net.setThreads(2) !== 2) throw new Error(`two threads unavailable: ${net.threadsUnavailable}`);
  const cpuAt = [];
  const history = lib.train(net, { inputs: data.inputs, targets: data.targets }, {
    epochs: 1 + reps, batchSize: hp.batchSize, learningRate: hp.learningRate, momentum: hp.momentum, seed: 1,
    onEpoch: () => cpuAt.push(cpuNow()),
  });
  const samples = history.slice(1).map((h) => h.ms);
  const cpu = cpuAt.slice(1).map((c, i) => c - cpuAt[i]);
  const mid = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  net.setThreads(1);
  return { ms: mid(samples), cpuMs: mid(cpu), samples, loss: history[history.length - 1].loss, params: net.paramCount };
}

/** tfjs (cpu backend, float32): `batches` timed mini-batches after 2 warm-up ones, extrapolated to the epoch. */
export async function tfjsEpoch(data, { batches = 4 } = {}) {
  const tf = require('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  tf.backend().firstUse = false; // no "install tfjs-node" banner: that native backend is not the contender
  tf.util.seedrandom?.('1');
  const n = data.inputs.rows;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'tanh' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh' }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 120, kernelSize: 5, activation: 'tanh' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 84, activation: 'tanh' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
  const opt = tf.train.momentum(hp.learningRate, hp.momentum);
  const X = tf.tensor4d(Float32Array.from(data.inputs.data), [n, 28, 28, 1]);
  const T = tf.tensor2d(Float32Array.from(data.targets.data), [n, 10]);
  const bs = hp.batchSize;
  const step = (s) => {
    const loss = tf.tidy(() => {
      const xb = X.slice([s, 0, 0, 0], [bs, 28, 28, 1]);
      const tb = T.slice([s, 0], [bs, 10]);
      return opt.minimize(() => tf.losses.softmaxCrossEntropy(tb, model.apply(xb)), true);
    });
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  };
  step(0);
  step(bs);
  const c0 = cpuNow();
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) step((2 + b) * bs);
  const perBatch = (performance.now() - t0) / batches;
  const cpuPerBatch = (cpuNow() - c0) / batches;
  const perEpoch = Math.ceil(n / bs);
  tf.dispose([X, T]);
  model.dispose();
  return { ms: perBatch * perEpoch, cpuMs: cpuPerBatch * perEpoch, batchesTimed: batches, perBatchMs: perBatch };
}

const PYTHON = '/usr/bin/python3';

/** Null when /usr/bin/python3 can import torch, else why not. */
export function torchUnavailable() {
  const r = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found (${r.error.code ?? r.error.message})`;
  if (r.status !== 0) return `torch not importable from ${PYTHON} (Debian package python3-torch): ${(r.stderr || '').trim().split('\n').pop()}`;
  return null;
}

/** PyTorch epochs in separate processes, one per configuration; returns {key: result | null}. */
export function torchEpochs(data, configs) {
  const dir = mkdtempSync(join(tmpdir(), 'course-kit-lenet-'));
  try {
    const images = join(dir, 'x.f64');
    const labels = join(dir, 'y.u8');
    const d = data.inputs.data;
    writeFileSync(images, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    writeFileSync(labels, Buffer.from(data.labels.buffer, data.labels.byteOffset, data.labels.byteLength));
    const out = {};
    for (const c of configs) {
      const env = { ...process.env, OMP_NUM_THREADS: String(c.threads), MKL_NUM_THREADS: String(c.threads), OPENBLAS_NUM_THREADS: String(c.threads) };
      // As for numpy: let OpenBLAS pick its own kernel (a forced core type or L2 size slows it down).
      delete env.OPENBLAS_CORETYPE;
      delete env.OPENBLAS_L2_SIZE;
      const spec = { images, labels, rows: data.inputs.rows, dtype: c.dtype, threads: c.threads, warmupBatches: 20 };
      const r = spawnSync(PYTHON, [join(here, '..', 'lenet_torch.py'), JSON.stringify(spec)], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) throw new Error(`lenet_torch.py (${c.key}) failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()}`);
      const res = JSON.parse(r.stdout.trim().split('\n').pop());
      out[c.key] = { ms: res.epoch_ms, cpuMs: res.epoch_cpu_ms, loss: res.loss, torch: res.torch, dtype: res.dtype, threads: res.threads };
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const TORCH_CONFIGS = [
  { key: 'torch_f64_1t', dtype: 'float64', threads: 1 },
  { key: 'torch_f32_1t', dtype: 'float32', threads: 1 },
  { key: 'torch_f32_2t', dtype: 'float32', threads: 2 },
];
