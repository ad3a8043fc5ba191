// Timing helpers shared by the contenders: warm up first, then report the
// median of several repetitions (the median shrugs off a repetition slowed
// down by another process on a shared machine).

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Milliseconds per call of fn: `warmup` untimed calls, then `reps`
 * measurements, each of enough back-to-back calls to last at least `minMs`
 * (so timer resolution does not matter). Returns the median wall-clock time
 * and the median process CPU time per call (on a machine shared with other
 * work the CPU time is closer to what an idle machine would show).
 */
export function cpuNow() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export async function timePerCall(fn, { warmup = 2, reps = 7, minMs = 40 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  let inner = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    const dt = performance.now() - t0;
    if (dt >= minMs || inner >= 1 << 16) break;
    inner = Math.max(inner * 2, Math.ceil((inner * minMs) / Math.max(dt, 0.01)));
  }
  const samples = [];
  const cpuSamples = [];
  for (let r = 0; r < reps; r++) {
    const c0 = cpuNow();
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) await fn();
    samples.push((performance.now() - t0) / inner);
    cpuSamples.push((cpuNow() - c0) / inner);
  }
  return { ms: median(samples), cpuMs: median(cpuSamples), samples, callsPerSample: inner };
}

/** GFLOP/s of an m×k · k×n product that takes `ms` milliseconds (2mkn floating-point operations). */
export function gflops(m, k, n, ms) {
  return (2 * m * k * n) / (ms * 1e6);
}

/** A small seeded generator (mulberry32) for the benchmark's own random matrices. */
export function seededUniform(seed) {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function permutation(n, next) {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
