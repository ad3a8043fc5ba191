import { workerData } from 'worker_threads';
import type { Matrix } from './matrix';
import { createNetwork, type LayeredNetworkConfig } from './network';
import { PARALLEL_CMD as C, sharedView, type ParallelWorkerData } from './parallel';

/**
 * The worker side of BatchSplit (parallel.ts): a replica of the network that runs the
 * second part of every batch. It waits on the control word SEQ, runs the command, marks
 * DONE and waits again; it never allocates per batch.
 */
const data = workerData as ParallelWorkerData;
const ctrl = new Int32Array(data.buffers.ctrl);
const message = new Uint8Array(data.buffers.message);

function fail(err: unknown): void {
  const text = Buffer.from(String((err as Error)?.stack ?? err)).subarray(0, message.length - 1);
  message.set(text);
  message[text.length] = 0;
}

try {
  const net = createNetwork(data.config as LayeredNetworkConfig);
  const params = new Float64Array(data.buffers.params);
  const grads = new Float64Array(data.buffers.grads);
  const x = new Float64Array(data.buffers.x);
  const t = new Float64Array(data.buffers.t);
  const y = new Float64Array(data.buffers.y);
  const xo = new Float64Array(data.buffers.xo);
  const xViews = new Map<number, Matrix>();
  const tViews = new Map<number, Matrix>();
  Atomics.store(ctrl, C.READY, 1);
  Atomics.notify(ctrl, C.READY);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, C.SEQ, seen);
    seen = Atomics.load(ctrl, C.SEQ);
    const cmd = Atomics.load(ctrl, C.CMD);
    if (cmd === C.exit) break;
    try {
      const rows = Atomics.load(ctrl, C.ROWS);
      if (cmd === C.forward) {
        net.setParams(params);
        const out = net.forward(sharedView(xViews, x, rows, data.inputs), { training: Atomics.load(ctrl, C.TRAINING) === 1 });
        const n = rows * data.outputs;
        y.set(out.data.subarray(0, n));
        xo.set(net.outputLayer.x.data.subarray(0, n));
      } else if (cmd === C.backward) {
        net.backward(sharedView(tViews, t, rows, data.outputs));
        net.getGrads(grads);
        // The replica averaged over its own cases; the batch mean divides by all of them.
        const scale = rows / Atomics.load(ctrl, C.TOTAL);
        for (let k = 0; k < grads.length; k++) grads[k] = grads[k]! * scale;
      }
      Atomics.store(ctrl, C.DONE, 1);
    } catch (err) {
      fail(err);
      Atomics.store(ctrl, C.DONE, 2);
    }
    Atomics.notify(ctrl, C.DONE);
  }
} catch (err) {
  fail(err);
  Atomics.store(ctrl, C.READY, 2);
  Atomics.notify(ctrl, C.READY);
}
