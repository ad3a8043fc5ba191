/**
 * In-process execution of TypeScript notebook cells with tslab's own
 * executor and converter (the same code the tslab Jupyter kernel runs), with
 * each cell's console output and display bundles captured.
 *
 * Used by the embedded notebook runner (a child process per notebook) and by
 * the autograder. One cell runs at a time per process: stdout/stderr and
 * tslab's display hook are process-wide, so executions are serialised.
 *
 * Limits worth knowing:
 * - `process.chdir` is needed to create tslab's converter (it reads
 *   `process.cwd()` once), so this does not work inside worker threads.
 * - Importing local `.ts` files next to the notebook works for the first
 *   folder a process creates an executor in; tslab's TypeScript watch host
 *   shares state process-wide, so use one process per notebook folder when
 *   cells import local modules (packages such as `@course-kit/lib` are fine).
 * - A synchronous endless loop cannot be stopped in-process; run untrusted
 *   code in a child process and kill it on timeout (runner.ts does).
 */
import { Writable } from 'stream';
// Taken once at load, before any cell can replace the console module's export.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ConsoleClass = (require('console') as typeof import('console')).Console;
import { format } from 'util';
import type { ConverterSet, Executor } from 'tslab/dist/executor';

/** A Jupyter MIME bundle, e.g. { 'text/plain': '…', 'text/html': '…' }. */
export type MimeBundle = Record<string, unknown>;

/** One output event of a cell, in the order it happened. */
export type CellOutput =
  | { kind: 'stdout' | 'stderr'; text: string }
  | { kind: 'display'; data: MimeBundle };

export interface CellResult {
  /** false on a compile (type) error, a thrown exception or a timeout. */
  ok: boolean;
  /** Everything the cell printed to stdout (console.log, last-expression value). */
  stdout: string;
  /** Everything printed to stderr, including tslab's diagnostics. */
  stderr: string;
  /** Display bundles in the order they were sent (display_data outputs). */
  displays: MimeBundle[];
  /** stdout, stderr and displays interleaved in the order they happened. */
  outputs: CellOutput[];
  /** A one-paragraph error message when ok is false. */
  error?: string;
  /** Wall-clock milliseconds. */
  ms: number;
}

export interface ExecuteOptions {
  /**
   * Interrupt asynchronous work (top-level await) after this many ms.
   * Synchronous code cannot be interrupted in-process.
   */
  timeoutMs?: number;
}

export interface CellExecutor {
  execute(code: string, options?: ExecuteOptions): Promise<CellResult>;
  /** The variables declared so far (tslab's exports object). */
  readonly locals: Record<string, unknown>;
  close(): void;
}

export interface CellExecutorOptions {
  /**
   * The notebook's folder: module resolution (`@course-kit/lib`, local .ts)
   * starts here, as in the tslab kernel started in that folder.
   */
  cwd: string;
  /**
   * Keep the process in `cwd` after creation (what a kernel does; relative
   * file paths in cells then resolve against the notebook's folder).
   * Default false: the previous working directory is restored.
   */
  stayInCwd?: boolean;
  /**
   * The converter for node cells, created ahead of time (createWarmConverter)
   * or a stand-in that hands out conversions made elsewhere (the grading
   * sandbox gets them from a compile server). Default: tslab's converter,
   * created for `cwd`.
   */
  converter?: Converter;
}

/** What tslab hands to its display hook (jupyter.d.ts does not export the type). */
interface DisplayData {
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  transient?: { display_id?: string };
}

type JupyterModule = {
  lastWriteDisplayData: ((data: DisplayData, update: boolean) => void) | null;
};

/** Collects one stream's text and appends it to the cell's ordered events. */
interface Sink {
  push(text: string): void;
  text(): string;
}

function newSink(kind: 'stdout' | 'stderr', events: CellOutput[]): Sink {
  const parts: string[] = [];
  return {
    push(text) {
      if (text === '') return;
      parts.push(text);
      const last = events[events.length - 1];
      if (last && last.kind === kind) last.text += text;
      else events.push({ kind, text });
    },
    text: () => parts.join(''),
  };
}

function sinkStream(sink: Sink): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      sink.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
}

export type Converter = import('tslab/dist/converter').Converter;

/**
 * Turn off TypeScript's file and directory watchers for this process before
 * any converter is created.
 *
 * Why: tslab's converter gives TypeScript's watch program a single timer
 * slot and fires it only during a conversion. A watcher event between cells
 * (a folder created under a watched `node_modules/@types` or a failed-lookup
 * location, e.g. by a process running next to this one) makes TypeScript
 * schedule a second timer, and tslab then throws "Unexpected pending
 * rebuildTimer": from the watcher callback (an uncaught exception) or from
 * every later cell. An in-process executor lives for one notebook run, one
 * grading sandbox or one compile server, whose files do not change while it
 * runs, so nothing is lost by not watching. (A real tslab kernel keeps its
 * watchers: it is not created here.)
 */
function unwatchTypeScript(): void {
  const ts = require('@tslab/typescript-for-tslab') as typeof import('@tslab/typescript-for-tslab');
  const none = () => ({ close: () => undefined });
  ts.sys.watchFile = none;
  ts.sys.watchDirectory = none;
}

/** tslab's converter created in `cwd` (it reads `process.cwd()` once, at creation). */
function createConverterIn(cwd: string, o: { isJS: boolean; isBrowser: boolean }): Converter {
  unwatchTypeScript();
  const { createConverter } = require('tslab/dist/converter') as typeof import('tslab/dist/converter');
  const previousCwd = process.cwd();
  process.chdir(cwd);
  try {
    return createConverter(o);
  } finally {
    process.chdir(previousCwd);
  }
}

/**
 * Create tslab's TypeScript converter for `cwd` (about two seconds: lib
 * .d.ts files, @types, module resolution), ready to hand to
 * createCellExecutor. `warmUp` is type-checked once (e.g. an import of the
 * course library) so that its declaration files are parsed too; it is never
 * run.
 */
export function createWarmConverter(cwd: string, options: { warmUp?: string } = {}): Converter {
  const node = createConverterIn(cwd, { isJS: false, isBrowser: false });
  if (options.warmUp) node.convert('', options.warmUp);
  return node;
}

// Serialises executions across all executors of this process.
let queue: Promise<unknown> = Promise.resolve();

function serialised<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/** Create an executor whose cells behave like cells of one tslab kernel session. */
export function createCellExecutor(options: CellExecutorOptions): CellExecutor {
  // Lazy requires: tslab pulls in its own TypeScript compiler (slow to load).
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { createExecutor } = require('tslab/dist/executor') as typeof import('tslab/dist/executor');
  const createConverter = (o: { isJS: boolean; isBrowser: boolean }) => createConverterIn(options.cwd, o);
  const jupyter = require('tslab/dist/jupyter') as JupyterModule;

  // Per-cell sinks; the console object below writes into whichever cell runs.
  let out: Sink = newSink('stdout', []);
  let err: Sink = newSink('stderr', []);
  const sinkConsole = {
    log: (...args: unknown[]) => out.push(format(...args) + '\n'),
    error: (...args: unknown[]) => err.push(format(...args) + '\n'),
  };

  const previousCwd = process.cwd();
  process.chdir(options.cwd);
  let executor: Executor;
  let tslabGlobal: unknown;
  try {
    const node = options.converter ?? createConverter({ isJS: false, isBrowser: false });
    let browser: ReturnType<typeof createConverter> | undefined;
    const convs: ConverterSet = {
      node,
      get browser() {
        browser ??= createConverter({ isJS: false, isBrowser: true });
        return browser;
      },
      close() {
        node.close();
        browser?.close();
      },
    };
    executor = createExecutor(options.cwd, convs, sinkConsole);
    // createExecutor publishes its exports/require as globalThis.__tslab__,
    // which compiled cells read. Remember ours so that several executors in
    // one process do not see each other's variables.
    tslabGlobal = (globalThis as Record<string, unknown>).__tslab__;
  } finally {
    if (!options.stayInCwd) process.chdir(previousCwd);
  }

  let closed = false;

  async function run(code: string, opts: ExecuteOptions): Promise<CellResult> {
    if (closed) throw new Error('createCellExecutor: execute() called after close()');
    const events: CellOutput[] = [];
    out = newSink('stdout', events);
    err = newSink('stderr', events);
    const displays: MimeBundle[] = [];
    const g = globalThis as Record<string, unknown>;
    g.__tslab__ = tslabGlobal;

    const stdoutWrite = process.stdout.write;
    const stderrWrite = process.stderr.write;
    const previousDisplay = jupyter.lastWriteDisplayData;
    const capture = (sink: Sink) =>
      ((chunk: string | Uint8Array) => {
        sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      }) as typeof process.stdout.write;
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    // Cells call the global console; test runners replace it with their own,
    // so give each cell a console that writes into this cell's sinks.
    const previousConsole = globalThis.console;
    globalThis.console = new ConsoleClass({
      stdout: sinkStream(out),
      stderr: sinkStream(err),
      colorMode: false,
    });
    // Both lib's show() and tslab.display.* go through this hook.
    jupyter.lastWriteDisplayData = (data: DisplayData) => {
      const bundle = { ...data.data };
      displays.push(bundle);
      events.push({ kind: 'display', data: bundle });
    };

    const started = performance.now();
    let ok = false;
    let thrown: unknown;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      const execution = executor.execute(code);
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          executor.interrupt();
        }, opts.timeoutMs);
      }
      ok = await execution;
    } catch (e) {
      thrown = e;
    } finally {
      if (timer) clearTimeout(timer);
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
      globalThis.console = previousConsole;
      jupyter.lastWriteDisplayData = previousDisplay;
    }
    const ms = performance.now() - started;
    const stdout = out.text();
    const stderr = err.text();
    const result: CellResult = { ok: ok && thrown === undefined, stdout, stderr, displays, outputs: events, ms };
    if (!result.ok) {
      if (timedOut) result.error = `cell timed out after ${opts.timeoutMs} ms`;
      else if (thrown !== undefined) result.error = thrown instanceof Error ? thrown.stack ?? thrown.message : String(thrown);
      else result.error = stderr.trim() || 'cell failed without a message';
    }
    return result;
  }

  return {
    execute: (code, opts = {}) => serialised(() => run(code, opts)),
    get locals() {
      return executor.locals;
    },
    close() {
      if (closed) return;
      closed = true;
      executor.close();
    },
  };
}
