/**
 * Executing one notebook headless, two ways:
 * - `runEmbedded`: tslab's executor in a child process per notebook (no
 *   Jupyter needed), outputs collected into nbformat outputs;
 * - `runWithJupyter`: `jupyter nbconvert --execute` with the kit's kernel.
 * Both return the executed notebook and the failures found by
 * `checkExecutedNotebook`, so the two runners are judged by the same rule.
 */
import { fork, spawnSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { basename, dirname, join, resolve } from 'path';
import type { ChildMessage, ChildRequest } from './runner-child';
import { installKernelSpec, jupyterEnv, projectRoot } from './kernelspec';
import {
  cellSource,
  checkExecutedNotebook,
  isExecutable,
  readNotebook,
  toNotebookOutputs,
  type CellFailure,
  type Notebook,
} from './nbformat';

export interface RunOptions {
  /** Per-cell limit in ms (default 10 minutes: MNIST training is the slowest cell). */
  cellTimeoutMs?: number;
}

export interface RunResult {
  notebook: Notebook;
  failures: CellFailure[];
  runner: 'embedded' | 'jupyter';
  ms: number;
}

export const DEFAULT_CELL_TIMEOUT_MS = 10 * 60 * 1000;

/** The compiled child script (tests run the TypeScript sources, so look in dist/ too). */
function childScript(): string {
  const candidates = [join(__dirname, 'runner-child.js'), resolve(__dirname, '../../dist/notebook/runner-child.js')];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`runner-child.js not found (looked in ${candidates.join(', ')}); run npm run build`);
  return found;
}

/**
 * Execute a notebook in a fresh Node process with tslab's executor, the
 * notebook's folder as working directory. Returns a copy of the notebook with
 * outputs and execution counts filled in.
 */
export function runEmbedded(file: string, options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.cellTimeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
  const source = readNotebook(file);
  const nb: Notebook = structuredClone(source);
  const executable = nb.cells.map((c, i) => ({ c, i })).filter(({ c }) => isExecutable(c));
  for (const cell of nb.cells) {
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
  }
  const started = performance.now();
  const extra: CellFailure[] = [];

  return new Promise((resolvePromise, reject) => {
    const child = fork(childScript(), [], {
      cwd: dirname(resolve(file)),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let current = -1; // index into `executable` of the running cell
    let count = 0;
    let timer: NodeJS.Timeout | undefined;
    const stray: { stdout: string; stderr: string } = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (stray.stdout += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (stray.stderr += d.toString('utf8')));

    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        const cell = current >= 0 ? executable[current]!.i + 1 : 0;
        extra.push({ cell, message: `timed out after ${timeoutMs} ms (process killed)` });
        child.kill('SIGKILL');
      }, timeoutMs);
    };

    child.on('message', (msg: ChildMessage) => {
      if (msg.type === 'ready') {
        const req: ChildRequest = { cells: executable.map(({ c }) => cellSource(c)) };
        child.send(req);
      } else if (msg.type === 'start') {
        current = msg.index;
        arm();
      } else if (msg.type === 'result') {
        const cell = nb.cells[executable[msg.index]!.i]!;
        cell.execution_count = ++count;
        cell.outputs = toNotebookOutputs(msg.result.outputs);
        // A thrown error is already on stderr (tslab prints it); a timeout is not.
        if (!msg.result.ok && msg.result.stderr.trim() === '') {
          cell.outputs.push({ output_type: 'stream', name: 'stderr', text: (msg.result.error ?? 'failed') + '\n' });
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      const at = current >= 0 ? executable[current]!.i + 1 : 0;
      if (stray.stderr.trim() !== '') extra.push({ cell: at, message: `stderr outside a cell's execution: ${stray.stderr.trim()}` });
      if (code !== 0 && extra.length === 0) {
        extra.push({ cell: at, message: `runner process exited with ${signal ?? `code ${code}`}` });
      }
      const failures = [...extra, ...checkExecutedNotebook(nb)];
      resolvePromise({ notebook: nb, failures: dedupe(failures), runner: 'embedded', ms: performance.now() - started });
    });
  });
}

function dedupe(failures: CellFailure[]): CellFailure[] {
  const seen = new Set<string>();
  return failures
    .filter((f) => {
      const key = `${f.cell}\u0000${f.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.cell - b.cell);
}

/** Whether `jupyter <sub>` is installed (e.g. 'nbconvert', 'lab', 'notebook'). */
export function hasJupyter(sub: string): boolean {
  const r = spawnSync('jupyter', [sub, '--version'], { stdio: 'ignore', timeout: 60_000 });
  return r.status === 0;
}

/**
 * nbconvert configuration (a Python file) that records each cell's
 * execute_reply. tslab sends no execute_input message, so nbconvert leaves
 * execution_count null even for cells that ran; this hook takes the count
 * from the reply instead, which is missing exactly when tslab dropped
 * ("aborted") the cell. The reply status is kept in the cell metadata.
 */
const NBCONVERT_CONFIG = `# Generated by @course-kit/grading (runner.ts); safe to delete.
def _course_kit_on_cell_executed(cell, cell_index, execute_reply):
    content = execute_reply.get("content", {}) if execute_reply else {}
    cell["execution_count"] = content.get("execution_count")
    cell.setdefault("metadata", {})["course_kit"] = {"status": content.get("status")}

c = get_config()  # noqa: F821
c.ExecutePreprocessor.on_cell_executed = _course_kit_on_cell_executed
`;

function nbconvertConfig(jupyterPath: string): string {
  const file = join(jupyterPath, 'nbconvert_course_kit.py');
  if (!existsSync(file) || readFileSync(file, 'utf8') !== NBCONVERT_CONFIG) writeFileSync(file, NBCONVERT_CONFIG);
  return file;
}

/**
 * Execute a notebook with `jupyter nbconvert --execute` and the kit's kernel,
 * writing `<outDir>/<name>.ipynb`. `--allow-errors` keeps nbconvert going so
 * that the executed notebook is always written; the check decides.
 */
export function runWithJupyter(file: string, outDir: string, options: RunOptions = {}): RunResult {
  const started = performance.now();
  const install = installKernelSpec(projectRoot());
  mkdirSync(outDir, { recursive: true });
  const name = basename(file, '.ipynb');
  const timeoutS = Math.ceil((options.cellTimeoutMs ?? DEFAULT_CELL_TIMEOUT_MS) / 1000);
  const r = spawnSync(
    'jupyter',
    [
      'nbconvert',
      '--execute',
      '--to',
      'notebook',
      '--allow-errors',
      `--config=${nbconvertConfig(install.jupyterPath)}`,
      `--ExecutePreprocessor.timeout=${timeoutS}`,
      '--output-dir',
      outDir,
      '--output',
      name,
      file,
    ],
    { env: jupyterEnv(install), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const out = join(outDir, `${name}.ipynb`);
  if (r.status !== 0 || !existsSync(out)) {
    const tail = (r.stderr || r.error?.message || '').trim().split('\n').slice(-8).join('\n');
    return {
      notebook: readNotebook(file),
      failures: [{ cell: 0, message: `jupyter nbconvert --execute failed (${r.status ?? r.signal}): ${tail}` }],
      runner: 'jupyter',
      ms: performance.now() - started,
    };
  }
  const nb = readNotebook(out);
  return { notebook: nb, failures: checkExecutedNotebook(nb), runner: 'jupyter', ms: performance.now() - started };
}

/** HTML export of an executed notebook with nbconvert; returns the HTML file. */
export function exportHtmlWithJupyter(executed: string, outDir: string): string {
  const name = basename(executed, '.ipynb');
  const r = spawnSync('jupyter', ['nbconvert', '--to', 'html', '--output-dir', outDir, '--output', name, executed], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const html = join(outDir, `${name}.html`);
  if (r.status !== 0 || !existsSync(html)) {
    throw new Error(`jupyter nbconvert --to html ${executed} failed: ${(r.stderr || '').trim().split('\n').slice(-5).join('\n')}`);
  }
  return html;
}
