#!/usr/bin/env node
// Benchmark: f64 GEMM 256×784 · 784×128 (GFLOP/s) and one training epoch of a
// 784-100-10 net (logistic hidden, softmax output, batch 32, the 10,000 MNIST
// digits; ms) for this library, plain mathjs, tfjs-backend-cpu and numpy —
// all measured in this one run. Then one LeNet-5 epoch over 8,000 digits (batch 32,
// SGD with momentum) for this library (f64), @tensorflow/tfjs on its cpu backend
// (f32, a few batches extrapolated) and PyTorch (Debian's python3-torch via
// /usr/bin/python3, when importable: f64 1 thread, f32 1 and 2 threads).
// Prints tables and the issues' targets, and writes bench/results/latest.json.
//
// Usage: npm run bench            (everything, about 3–6 minutes on an idle machine)
//        node bench/run.mjs --only lib,numpy   (a subset; latest.json is not written)
//        node bench/run.mjs --only lenet        (only the LeNet-5 epoch, all contenders)
import { createRequire } from 'module';
import { cpus, loadavg } from 'os';
import { mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { median, seededUniform } from './timing.mjs';
import * as libC from './contenders/lib.mjs';
import * as mathjsC from './contenders/mathjs.mjs';
import * as tfjsC from './contenders/tfjs.mjs';
import * as numpyC from './contenders/numpy.mjs';
import * as lenetC from './contenders/lenet.mjs';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

const TARGETS = {
  libGemmGflops: 4,
  libGemmVsTfjs: 3,
  libEpochVsNumpyMax: 6,
  libEpochVsTfjsSpeedup: 4,
};

function parseArgs(argv) {
  const only = argv.find((a) => a.startsWith('--only'));
  if (!only) return { only: null };
  const list = only.includes('=') ? only.split('=')[1] : argv[argv.indexOf(only) + 1];
  return { only: new Set(list.split(',')) };
}

function loadLib() {
  try {
    return require('@course-kit/lib');
  } catch (err) {
    console.error('bench: cannot load @course-kit/lib — build it first with `npm run build -w lib`.\n' + err.message);
    process.exit(1);
  }
}

function fmt(v, digits) {
  return v === null || v === undefined ? '—' : v.toFixed(digits);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const wanted = (name) => !args.only || args.only.has(name);
  const lib = loadLib();
  const started = performance.now();

  // Shared inputs: the same matrices and digits for every contender.
  const gemmShape = { m: 256, k: 784, n: 128 };
  const rand = seededUniform(2024);
  const A = Float64Array.from({ length: gemmShape.m * gemmShape.k }, () => rand() * 2 - 1);
  const B = Float64Array.from({ length: gemmShape.k * gemmShape.n }, () => rand() * 2 - 1);
  const Bt = new Float64Array(B.length);
  for (let i = 0; i < gemmShape.k; i++) for (let j = 0; j < gemmShape.n; j++) Bt[j * gemmShape.k + i] = B[i * gemmShape.n + j];
  // The first call parses the mnist package's digit JSON files; later calls return the cached arrays.
  const mnistStart = performance.now();
  const { images, labels } = lib.loadMnist();
  const mnistLoadMs = performance.now() - mnistStart;
  const targets = lib.oneHot(labels, 10);
  const hp = {
    hidden: 100,
    batchSize: 32,
    learningRate: 0.1,
    momentum: 0.9,
    reps: 3, // timed epochs after one warm-up (lib, numpy)
    tfjsReps: 2,
    mathjsBatches: 12, // timed mini-batches, extrapolated to the epoch
    mathjsBudgetMs: 20000,
  };
  const ctx = { A, B, Bt, gemmShape, images, targets, hp, median };

  const results = {};
  const notes = {};
  const details = {};
  const record = (name, gemm, epoch) => {
    results[name] = {
      gemm: gemm?.gflops ?? null,
      epoch: epoch?.ms ?? null,
      cpuGemm: gemm?.cpuGflops ?? null,
      cpuEpoch: epoch?.cpuMs ?? null,
    };
    details[name] = { gemm, epoch };
  };
  const attempt = async (name, fn) => {
    if (!wanted(name)) return;
    process.stderr.write(`bench: ${name} …\n`);
    try {
      await fn();
    } catch (err) {
      notes[name] = `failed: ${err.message.split('\n')[0]}`;
      record(name, null, null);
    }
  };

  await attempt('lib', async () => record('lib', await libC.gemm(ctx), await libC.epoch(ctx)));
  await attempt('numpy', async () => {
    const why = numpyC.unavailable();
    if (why) {
      notes.numpy = `skipped: ${why}`;
      record('numpy', null, null);
      return;
    }
    const r = numpyC.run(ctx);
    record('numpy', r.gemm, r.epoch);
    notes.numpy = 'float64, OPENBLAS_NUM_THREADS=1';
  });
  await attempt('tfjs_cpu', async () => {
    record('tfjs_cpu', await tfjsC.gemm(ctx), await tfjsC.epoch(ctx));
    notes.tfjs_cpu = 'float32 only (the CPU backend has no float64)';
  });
  await attempt('mathjs', async () => {
    const g = await mathjsC.gemm(ctx);
    const e = await mathjsC.epoch(ctx);
    record('mathjs', g, e);
    notes.mathjs = `epoch extrapolated from ${e.extra.batchesTimed} timed mini-batches`;
  });

  // LeNet-5: one epoch over 8,000 digits for every contender, in this same run.
  const lenet = { lib: null, lib_2t: null, tfjs_cpu: null, torch_f64_1t: null, torch_f32_1t: null, torch_f32_2t: null };
  const lenetCpu = { ...lenet };
  const lenetNotes = {};
  const lenetDetails = {};
  if (wanted('lenet')) {
    const data = lenetC.lenetData(lib);
    const run = async (key, fn) => {
      process.stderr.write(`bench: lenet ${key} …\n`);
      try {
        await fn();
      } catch (err) {
        lenetNotes[key] = `failed: ${err.message.split('\n')[0]}`;
      }
    };
    await run('lib', () => {
      const r = lenetC.libEpoch(lib, data);
      lenet.lib = r.ms;
      lenetCpu.lib = r.cpuMs;
      lenetDetails.lib = r;
      lenetNotes.lib = `f64, train() over ${data.inputs.rows} digits, median of ${r.samples.length} epoch(s) after a warm-up epoch`;
    });
    await run('lib_2t', () => {
      const r = lenetC.libEpoch(lib, data, { threads: 2 });
      lenet.lib_2t = r.ms;
      lenetCpu.lib_2t = r.cpuMs;
      lenetDetails.lib_2t = r;
      lenetNotes.lib_2t = 'the same with net.setThreads(2) (batch split over two threads; cpu time counts both)';
    });
    await run('tfjs_cpu', async () => {
      const r = await lenetC.tfjsEpoch(data);
      lenet.tfjs_cpu = r.ms;
      lenetCpu.tfjs_cpu = r.cpuMs;
      lenetDetails.tfjs_cpu = r;
      lenetNotes.tfjs_cpu = `@tensorflow/tfjs cpu backend, f32; ${r.batchesTimed} timed batches × ${Math.ceil(data.inputs.rows / lenetC.hp.batchSize)}`;
    });
    const why = lenetC.torchUnavailable();
    if (why) {
      for (const c of lenetC.TORCH_CONFIGS) lenetNotes[c.key] = `skipped: ${why}`;
    } else {
      await run('torch', () => {
        const r = lenetC.torchEpochs(data, lenetC.TORCH_CONFIGS);
        for (const c of lenetC.TORCH_CONFIGS) {
          lenet[c.key] = r[c.key].ms;
          lenetCpu[c.key] = r[c.key].cpuMs;
          lenetDetails[c.key] = r[c.key];
          lenetNotes[c.key] = `PyTorch ${r[c.key].torch}, ${c.dtype}, ${c.threads} thread${c.threads > 1 ? 's' : ''}, one epoch after 20 warm-up batches`;
        }
      });
    }
  }

  const rows = [
    ['lib', libC.label],
    ['mathjs', mathjsC.label],
    ['tfjs_cpu', tfjsC.label],
    ['numpy', numpyC.label],
  ].filter(([k]) => k in results);
  const header = ['contender', 'GEMM GFLOP/s', '(cpu time)', 'epoch ms', '(cpu time)', 'note'];
  const table = rows.map(([k, label]) => {
    const r = results[k];
    return [label, fmt(r.gemm, 2), fmt(r.cpuGemm, 2), fmt(r.epoch, 0), fmt(r.cpuEpoch, 0), notes[k] ?? ''];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c].length)));
  const numeric = (c) => c >= 1 && c <= 4;
  const line = (r) => r.map((cell, c) => (numeric(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
  console.log('\n' + line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of table) console.log(line(r));
  console.log('Headline numbers are wall-clock medians; "(cpu time)" uses the process CPU time of the same runs,');
  console.log('which is less distorted when other work shares the CPUs (all contenders are single-threaded).');
  if (details.lib?.gemm?.extra?.matmulABt_gflops) {
    console.log(`(lib matmulABt, the forward-pass kernel X·Wᵀ, on the same product: ${details.lib.gemm.extra.matmulABt_gflops.toFixed(2)} GFLOP/s)`);
  }

  const g = (k) => results[k]?.gemm ?? null;
  const e = (k) => results[k]?.epoch ?? null;
  const cg = (k) => results[k]?.cpuGemm ?? null;
  const ce = (k) => results[k]?.cpuEpoch ?? null;
  const ratio = (a, b) => (a === null || b === null ? null : a / b);
  const checks = [
    { target: `lib GEMM ≥ ${TARGETS.libGemmGflops} GFLOP/s`, value: g('lib'), cpu: cg('lib'), ok: (v) => v >= TARGETS.libGemmGflops, unit: 'GFLOP/s' },
    { target: `lib GEMM ≥ ${TARGETS.libGemmVsTfjs}× tfjs-cpu`, value: ratio(g('lib'), g('tfjs_cpu')), cpu: ratio(cg('lib'), cg('tfjs_cpu')), ok: (v) => v >= TARGETS.libGemmVsTfjs, unit: '×' },
    { target: `lib epoch ≤ ${TARGETS.libEpochVsNumpyMax}× numpy`, value: ratio(e('lib'), e('numpy')), cpu: ratio(ce('lib'), ce('numpy')), ok: (v) => v <= TARGETS.libEpochVsNumpyMax, unit: '×' },
    { target: `lib epoch ≥ ${TARGETS.libEpochVsTfjsSpeedup}× faster than tfjs-cpu`, value: ratio(e('tfjs_cpu'), e('lib')), cpu: ratio(ce('tfjs_cpu'), ce('lib')), ok: (v) => v >= TARGETS.libEpochVsTfjsSpeedup, unit: '×' },
  ];
  const verdict = (v, ok) => (v === null ? 'n/a ' : ok(v) ? 'met ' : 'MISS');
  const lenetChecks = [];
  console.log('\nTargets (issue 5), wall clock | cpu time:');
  for (const c of checks) {
    const show = (v) => (v === null ? 'not measured' : `${v.toFixed(2)} ${c.unit}`);
    console.log(`  [${verdict(c.value, c.ok)}|${verdict(c.cpu, c.ok)}] ${c.target}: ${show(c.value)} | ${show(c.cpu)}`);
  }
  if (wanted('lenet')) {
    const labels = { lib: '@course-kit/lib (f64)', lib_2t: '@course-kit/lib (f64), 2 threads', tfjs_cpu: '@tensorflow/tfjs cpu (f32)', torch_f64_1t: 'PyTorch f64, 1 thread', torch_f32_1t: 'PyTorch f32, 1 thread', torch_f32_2t: 'PyTorch f32, 2 threads' };
    const head = ['LeNet-5 epoch (8,000 digits)', 'ms', '(cpu ms)', 'note'];
    const body = Object.keys(labels).map((k) => [labels[k], fmt(lenet[k], 0), fmt(lenetCpu[k], 0), lenetNotes[k] ?? '']);
    const w = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
    const ln = (r) => r.map((cell, c) => (c === 1 || c === 2 ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join('  ');
    console.log('\n' + ln(head));
    console.log(w.map((x) => '-'.repeat(x)).join('  '));
    for (const r of body) console.log(ln(r));
    const lr = (a, b) => (a === null || b === null ? null : a / b);
    lenetChecks.push(
      { target: 'LeNet lib epoch ≤ 1.5× PyTorch f64 1 thread', value: lr(lenet.lib, lenet.torch_f64_1t), cpu: lr(lenetCpu.lib, lenetCpu.torch_f64_1t), ok: (v) => v <= 1.5, unit: '×' },
      { target: 'LeNet lib epoch ≥ 4× faster than tfjs-cpu', value: lr(lenet.tfjs_cpu, lenet.lib), cpu: lr(lenetCpu.tfjs_cpu, lenetCpu.lib), ok: (v) => v >= 4, unit: '×' },
      { target: '(stretch) LeNet lib on 2 threads faster than PyTorch f64 1 thread', value: lr(lenet.lib_2t, lenet.torch_f64_1t), cpu: null, ok: (v) => v < 1, unit: '×' },
      { target: '(stretch) LeNet lib on 2 threads ≤ 1.5× PyTorch f32 2 threads', value: lr(lenet.lib_2t, lenet.torch_f32_2t), cpu: null, ok: (v) => v <= 1.5, unit: '×' },
    );
    console.log('\nTargets (issue 8), wall clock | cpu time (cpu time is not comparable for multi-threaded runs):');
    for (const c of lenetChecks) {
      const show = (v) => (v === null ? 'not measured' : `${v.toFixed(2)} ${c.unit}`);
      console.log(`  [${verdict(c.value, c.ok)}|${verdict(c.cpu, c.ok)}] ${c.target}: ${show(c.value)} | ${show(c.cpu)}`);
    }
  }
  console.log(`\nMNIST load (10,000 digits from JSON, packed into Float64Array): ${mnistLoadMs.toFixed(0)} ms`);
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nTotal ${seconds.toFixed(0)} s; load average at the end ${loadavg().map((v) => v.toFixed(2)).join(' ')} on ${cpus().length} CPUs.`);

  if (args.only) {
    console.log('(--only given: bench/results/latest.json not written)');
    return;
  }
  const out = {
    gemm: { lib: g('lib'), mathjs: g('mathjs'), tfjs_cpu: g('tfjs_cpu'), numpy: g('numpy') },
    mlp_epoch_ms: { lib: e('lib'), mathjs: e('mathjs'), tfjs_cpu: e('tfjs_cpu'), numpy: e('numpy') },
    mnist_load_ms: mnistLoadMs,
    lenet_epoch_ms: lenet,
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: cpus().length,
      loadavg: loadavg(),
      seconds,
      gemm: '256×784 · 784×128 float64 (tfjs: float32), median of repetitions after warm-up',
      epoch: '784-100-10, logistic hidden, softmax + cross-entropy, batch 32, lr 0.1, momentum 0.9, 10,000 MNIST digits, median after a warm-up epoch',
      notes,
      cpuTime: {
        gemm: { lib: cg('lib'), mathjs: cg('mathjs'), tfjs_cpu: cg('tfjs_cpu'), numpy: cg('numpy') },
        mlp_epoch_ms: { lib: ce('lib'), mathjs: ce('mathjs'), tfjs_cpu: ce('tfjs_cpu'), numpy: ce('numpy') },
      },
      lenet: {
        what: 'LeNet-5 (C1 6@28×28 5×5 pad 2, S2 avg 2×2, C3 16@10×10, S4, C5 120, F6 84, 10 softmax; tanh), one epoch over the 8,000 training digits of the seeded stratified split, batch 32, SGD lr 0.05 momentum 0.9',
        cpuTimeMs: lenetCpu,
        notes: lenetNotes,
        details: lenetDetails,
      },
      targets: [...checks, ...lenetChecks].map((c) => ({
        target: c.target,
        value: c.value,
        met: c.value === null ? null : c.ok(c.value),
        cpuTimeValue: c.cpu,
        cpuTimeMet: c.cpu === null ? null : c.ok(c.cpu),
      })),
      details,
    },
  };
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(out, null, 2) + '\n');
  console.log('Wrote bench/results/latest.json');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
