/**
 * Child process of the embedded notebook runner: executes the code cells it
 * receives, in order, in one tslab session whose folder is this process's
 * working directory (the notebook's folder), and reports each result over
 * the IPC channel. Stops at the first failing cell, as a kernel effectively
 * does (tslab drops the cells queued behind an error).
 */
import { createCellExecutor, type CellResult } from './executor';

export interface ChildRequest {
  cells: string[];
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'start'; index: number }
  | { type: 'result'; index: number; result: CellResult };

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(msg, undefined, {}, (e) => (e ? reject(e) : resolve())));
}

async function run(req: ChildRequest): Promise<void> {
  const executor = createCellExecutor({ cwd: process.cwd(), stayInCwd: true });
  for (let i = 0; i < req.cells.length; i++) {
    await send({ type: 'start', index: i });
    const result = await executor.execute(req.cells[i]!);
    await send({ type: 'result', index: i, result });
    if (!result.ok) break;
  }
  executor.close();
}

if (require.main === module) {
  if (!process.send) {
    console.error('runner-child: must be started by the notebook runner (needs an IPC channel)');
    process.exit(2);
  }
  // Like the tslab kernel: report stray async errors instead of dying. They
  // reach the parent as stderr and fail the cell that was running.
  process.on('uncaughtException', (e) => console.error('UncaughtException:', e));
  process.on('unhandledRejection', (e) => console.error('UnhandledPromiseRejection:', e));
  process.once('message', (req: ChildRequest) => {
    run(req).then(
      // Exit explicitly: timers a notebook left behind must not keep us alive.
      () => process.exit(0),
      (e: unknown) => {
        console.error(e instanceof Error ? e.stack : String(e));
        process.exit(1);
      },
    );
  });
  void send({ type: 'ready' });
}
