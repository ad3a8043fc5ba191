"""numpy contender for bench/run.mjs (single-threaded BLAS, float64).

Reads the benchmark inputs written by run.mjs as raw little-endian float64
files and prints one JSON object: GEMM GFLOP/s and the epoch time in ms,
each the median of several repetitions after a warm-up. The epoch is the
same maths as the library: logistic hidden layer, softmax output,
dE/dx = y - t, mini-batch SGD with momentum, seeded shuffle every epoch.
"""
import json
import sys
import time

import numpy as np


def median_ms(fn, warmup, reps, min_ms=40.0):
    for _ in range(warmup):
        fn()
    inner = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = (time.perf_counter() - t0) * 1e3
        if dt >= min_ms or inner >= 65536:
            break
        inner = max(inner * 2, int(inner * min_ms / max(dt, 0.01)) + 1)
    samples, cpu = [], []
    for _ in range(reps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) * 1e3 / inner)
        cpu.append((time.process_time() - c0) * 1e3 / inner)
    return float(np.median(samples)), float(np.median(cpu)), samples


def main():
    spec = json.loads(sys.argv[1])
    m, k, n = spec["gemm"]
    a = np.fromfile(spec["a"], dtype="<f8").reshape(m, k)
    b = np.fromfile(spec["b"], dtype="<f8").reshape(k, n)
    gemm_ms, gemm_cpu_ms, _ = median_ms(lambda: a @ b, warmup=2, reps=7)

    rows = spec["rows"]
    x = np.fromfile(spec["images"], dtype="<f8").reshape(rows, 784)
    t = np.fromfile(spec["targets"], dtype="<f8").reshape(rows, 10)
    hidden, bs = spec["hidden"], spec["batchSize"]
    lr, mu = spec["learningRate"], spec["momentum"]
    rng = np.random.default_rng(1)
    w1 = rng.uniform(-1, 1, (hidden, 784)) / np.sqrt(784)
    b1 = np.zeros(hidden)
    w2 = rng.uniform(-1, 1, (10, hidden)) / np.sqrt(hidden)
    b2 = np.zeros(10)
    params = [w1, b1, w2, b2]
    vel = [np.zeros_like(p) for p in params]

    def epoch():
        order = rng.permutation(rows)
        loss_sum = 0.0
        for s in range(0, rows, bs):
            idx = order[s:s + bs]
            xb, tb = x[idx], t[idx]
            h = 1.0 / (1.0 + np.exp(-(xb @ w1.T + b1)))
            z2 = h @ w2.T + b2
            z2 = z2 - z2.max(axis=1, keepdims=True)
            e = np.exp(z2)
            s_ = e.sum(axis=1, keepdims=True)
            y = e / s_
            loss_sum -= float(np.sum(tb * (z2 - np.log(s_))))
            d2 = (y - tb) / len(idx)
            g_w2 = d2.T @ h
            g_b2 = d2.sum(axis=0)
            d1 = (d2 @ w2) * h * (1.0 - h)
            g_w1 = d1.T @ xb
            g_b1 = d1.sum(axis=0)
            for p, v, g in zip(params, vel, (g_w1, g_b1, g_w2, g_b2)):
                v *= mu
                v -= lr * g
                p += v
        return loss_sum / rows

    epoch_ms, epoch_cpu_ms, epoch_samples = median_ms(epoch, warmup=1, reps=spec["reps"], min_ms=0.0)
    print(json.dumps({
        "gemm_gflops": 2.0 * m * k * n / (gemm_ms * 1e6),
        "gemm_ms": gemm_ms,
        "gemm_cpu_gflops": 2.0 * m * k * n / (gemm_cpu_ms * 1e6),
        "epoch_ms": epoch_ms,
        "epoch_cpu_ms": epoch_cpu_ms,
        "epoch_samples": epoch_samples,
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
