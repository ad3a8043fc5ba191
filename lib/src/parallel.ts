import { existsSync } from 'fs';
import { join } from 'path';
import type { Matrix } from './matrix';

/**
 * Data parallelism over two threads for one network (opt-in: net.setThreads(2)).
 *
 * A mini-batch of B cases is split in two: the calling thread runs its own layers on cases
 * [0, h) while a worker thread, holding a replica of the network, runs cases [h, B). The
 * replica receives the current weights before every forward pass, and after backward the
 * two gradient sums are added. Because the gradient of the mean error is
 *   ∂E/∂w = (1/B) Σ_cases ∂E_n/∂w = (1/B)(Σ_[0,h) + Σ_[h,B)),
 * the result is the same as on one thread (up to the order of the additions).
 *
 * All exchange goes through SharedArrayBuffers; the two threads meet with Atomics.wait /
 * Atomics.notify (no message passing per batch, nothing allocated per batch).
 */

/** Indices into the control array. */
const SEQ = 0; // incremented by the caller for every command
const DONE = 1; // 0 while the worker works, 1 done, 2 failed
const CMD = 2; // 1 forward, 2 backward, 3 exit
const ROWS = 3; // the worker's number of cases
const TOTAL = 4; // cases in the whole batch (backward: the mean's denominator)
const TRAINING = 5;
const READY = 6; // set to 1 by the worker once its replica exists

export const PARALLEL_CMD = { SEQ, DONE, CMD, ROWS, TOTAL, TRAINING, READY, forward: 1, backward: 2, exit: 3 } as const;

/** Shared memory of a split: control words, weights, gradients, the worker's cases and outputs. */
export interface ParallelBuffers {
  ctrl: SharedArrayBuffer;
  message: SharedArrayBuffer;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  x: SharedArrayBuffer;
  t: SharedArrayBuffer;
  y: SharedArrayBuffer;
  xo: SharedArrayBuffer;
}

/** What the worker needs to build its replica. */
export interface ParallelWorkerData {
  config: unknown;
  buffers: ParallelBuffers;
  inputs: number;
  outputs: number;
  capacity: number;
}

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
}

function workerScript(): string | null {
  // dist/parallel-worker.js next to this file once compiled; from the TypeScript sources (tests), the built copy.
  for (const p of [join(__dirname, 'parallel-worker.js'), join(__dirname, '..', 'dist', 'parallel-worker.js')]) {
    if (existsSync(p)) return p;
  }
  return null;
}

/** Most cases the worker takes per pass (its buffers are sized once for this many). */
export const PARALLEL_CAPACITY = 1024;
/** Batches smaller than this run on one thread (the hand-over would cost more than it saves). */
export const PARALLEL_MIN_BATCH = 8;

export class BatchSplit {
  readonly ctrl: Int32Array;
  readonly params: Float64Array;
  readonly grads: Float64Array;
  readonly x: Float64Array;
  readonly t: Float64Array;
  readonly y: Float64Array;
  readonly xo: Float64Array;
  private readonly message: Uint8Array;
  private readonly worker: WorkerLike;
  private seq = 0;
  private busy = false;

  private constructor(worker: WorkerLike, buffers: ParallelBuffers) {
    this.worker = worker;
    this.ctrl = new Int32Array(buffers.ctrl);
    this.message = new Uint8Array(buffers.message);
    this.params = new Float64Array(buffers.params);
    this.grads = new Float64Array(buffers.grads);
    this.x = new Float64Array(buffers.x);
    this.t = new Float64Array(buffers.t);
    this.y = new Float64Array(buffers.y);
    this.xo = new Float64Array(buffers.xo);
  }

  /**
   * Starts a worker with a replica of the network built from `config`; waits (synchronously, at
   * most `timeoutMs`) until it is ready. Returns null with the reason when threads are not
   * available here (no worker_threads, a sandbox that forbids them, lib not built).
   */
  static start(config: unknown, paramCount: number, inputs: number, outputs: number, timeoutMs = 30000): BatchSplit | string {
    const script = workerScript();
    if (script === null) return 'the compiled worker (dist/parallel-worker.js) is missing; run `npm run build -w lib`';
    let WorkerCtor: new (file: string, options: { workerData: unknown }) => WorkerLike;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      WorkerCtor = (require('worker_threads') as { Worker: typeof WorkerCtor }).Worker;
    } catch (err) {
      return `worker_threads is not available: ${(err as Error).message}`;
    }
    const cap = PARALLEL_CAPACITY;
    const buffers: ParallelBuffers = {
      ctrl: new SharedArrayBuffer(8 * 4),
      message: new SharedArrayBuffer(512),
      params: new SharedArrayBuffer(paramCount * 8),
      grads: new SharedArrayBuffer(paramCount * 8),
      x: new SharedArrayBuffer(cap * inputs * 8),
      t: new SharedArrayBuffer(cap * outputs * 8),
      y: new SharedArrayBuffer(cap * outputs * 8),
      xo: new SharedArrayBuffer(cap * outputs * 8),
    };
    let worker: WorkerLike;
    try {
      const data: ParallelWorkerData = { config, buffers, inputs, outputs, capacity: cap };
      worker = new WorkerCtor(script, { workerData: data });
    } catch (err) {
      return `cannot start a worker thread: ${(err as Error).message}`;
    }
    worker.unref();
    const split = new BatchSplit(worker, buffers);
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(split.ctrl, READY) === 0) {
      if (Date.now() > deadline) {
        void worker.terminate();
        return `the worker thread did not start within ${timeoutMs} ms`;
      }
      Atomics.wait(split.ctrl, READY, 0, 50);
    }
    if (Atomics.load(split.ctrl, READY) !== 1) {
      void worker.terminate();
      return `the worker thread failed to start: ${split.errorText()}`;
    }
    return split;
  }

  /** True when a batch of `rows` cases is worth splitting and fits the shared buffers. */
  accepts(rows: number): boolean {
    return rows >= PARALLEL_MIN_BATCH && rows - Math.ceil(rows / 2) <= PARALLEL_CAPACITY;
  }

  /** Sends a command; the worker starts at once. */
  post(cmd: number, rows: number, total: number, training: boolean): void {
    if (this.busy) throw new Error('BatchSplit: a command is still running');
    const c = this.ctrl;
    Atomics.store(c, CMD, cmd);
    Atomics.store(c, ROWS, rows);
    Atomics.store(c, TOTAL, total);
    Atomics.store(c, TRAINING, training ? 1 : 0);
    Atomics.store(c, DONE, 0);
    this.seq = (this.seq + 1) | 0;
    Atomics.store(c, SEQ, this.seq);
    Atomics.notify(c, SEQ);
    this.busy = true;
  }

  /** Waits for the running command; throws with the worker's message if it failed. */
  wait(): void {
    const c = this.ctrl;
    while (Atomics.load(c, DONE) === 0) Atomics.wait(c, DONE, 0, 1000);
    this.busy = false;
    if (Atomics.load(c, DONE) === 2) throw new Error(`the worker thread failed: ${this.errorText()}`);
  }

  private errorText(): string {
    const end = this.message.indexOf(0);
    return Buffer.from(this.message.subarray(0, end < 0 ? this.message.length : end)).toString('utf8');
  }

  /** Stops the worker. */
  close(): void {
    if (this.busy) this.wait();
    Atomics.store(this.ctrl, CMD, PARALLEL_CMD.exit);
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.ctrl, SEQ, this.seq);
    Atomics.notify(this.ctrl, SEQ);
    void this.worker.terminate();
  }
}

/** A rows×cols view of the first rows of a shared array, cached per row count. */
export function sharedView(cache: Map<number, Matrix>, data: Float64Array, rows: number, cols: number): Matrix {
  let m = cache.get(rows);
  if (m === undefined) {
    m = { rows, cols, data: data.subarray(0, rows * cols) };
    cache.set(rows, m);
  }
  return m;
}
