// numpy through python3, single-threaded: OPENBLAS_NUM_THREADS=1 (and the
// OpenMP/MKL equivalents), with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
// from that command's environment only, so OpenBLAS picks its own kernel.
// Skipped (null, with a note) when python3 or numpy is missing.
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

export const name = 'numpy';
export const label = 'numpy (f64, 1 thread)';

const here = dirname(fileURLToPath(import.meta.url));

function pythonEnv() {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Null when python3 with numpy is available, else the reason it is not. */
export function unavailable() {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { env: pythonEnv(), encoding: 'utf8' });
  if (r.error) return `python3 not found (${r.error.code ?? r.error.message})`;
  if (r.status !== 0) return `numpy not importable: ${(r.stderr || '').trim().split('\n').pop()}`;
  return null;
}

function bytes(f64) {
  return Buffer.from(f64.buffer, f64.byteOffset, f64.byteLength);
}

/** Runs GEMM and the epoch in one python3 process (one data hand-over); returns both results. */
export function run(ctx) {
  const dir = mkdtempSync(join(tmpdir(), 'course-kit-bench-'));
  try {
    const files = { a: join(dir, 'a.f64'), b: join(dir, 'b.f64'), images: join(dir, 'x.f64'), targets: join(dir, 't.f64') };
    writeFileSync(files.a, bytes(ctx.A));
    writeFileSync(files.b, bytes(ctx.B));
    writeFileSync(files.images, bytes(ctx.images.data));
    writeFileSync(files.targets, bytes(ctx.targets.data));
    const { m, k, n } = ctx.gemmShape;
    const spec = { ...files, gemm: [m, k, n], rows: ctx.images.rows, ...ctx.hp };
    const r = spawnSync('python3', [join(here, '..', 'numpy_bench.py'), JSON.stringify(spec)], {
      env: pythonEnv(),
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) throw new Error(`numpy_bench.py failed: ${r.stderr || r.error}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    return {
      gemm: { gflops: out.gemm_gflops, ms: out.gemm_ms, cpuGflops: out.gemm_cpu_gflops, extra: { numpy: out.numpy } },
      epoch: { ms: out.epoch_ms, cpuMs: out.epoch_cpu_ms, samples: out.epoch_samples },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
