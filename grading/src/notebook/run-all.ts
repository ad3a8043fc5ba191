/**
 * `npm run notebooks [-- [filter] [--embedded] [--timeout <seconds>]]`
 *
 * Executes every notebook under notebooks/ and writes the executed .ipynb and
 * an HTML page per notebook into build/notebooks/ (same relative paths). Every
 * page carries its own maths renderer (KaTeX, inlined: maths.ts), so formulas
 * render offline on any machine.
 * Uses real Jupyter (`jupyter nbconvert --execute`, then `--to html`) when it
 * is installed, otherwise the embedded runner. Every executed notebook is
 * checked (stderr, errors, skipped cells); any failure makes the exit code 1.
 */
import { Command } from 'commander';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { basename, dirname, join, relative, resolve } from 'path';
import { notebookToHtml } from './html';
import { selfContainedPage } from './maths';
import { installKernelSpec, projectRoot } from './kernelspec';
import { writeNotebook } from './nbformat';
import { DEFAULT_CELL_TIMEOUT_MS, exportHtmlWithJupyter, hasJupyter, runEmbedded, runWithJupyter, type RunResult } from './runner';

/** Every .ipynb under `dir`, sorted, skipping checkpoints and hidden folders. */
export function findNotebooks(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue; // .ipynb_checkpoints too
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.ipynb')) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

export interface RunAllOptions {
  notebooksDir: string;
  outDir: string;
  filter?: string;
  embedded?: boolean;
  cellTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface NotebookReport extends RunResult {
  file: string;
  executedPath: string;
  htmlPath: string;
}

/** Execute, export and check each notebook in turn. */
export async function runAll(options: RunAllOptions): Promise<NotebookReport[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const notebooks = findNotebooks(options.notebooksDir).filter((f) => !options.filter || relative(options.notebooksDir, f).includes(options.filter));
  const useJupyter = !options.embedded && hasJupyter('nbconvert');
  log(`${notebooks.length} notebook(s), runner: ${useJupyter ? 'jupyter nbconvert' : 'embedded (tslab executor in Node)'}`);
  const reports: NotebookReport[] = [];
  for (const file of notebooks) {
    const rel = relative(options.notebooksDir, file);
    const outDir = join(options.outDir, dirname(rel));
    mkdirSync(outDir, { recursive: true });
    const name = basename(file, '.ipynb');
    const executedPath = join(outDir, `${name}.ipynb`);
    const htmlPath = join(outDir, `${name}.html`);
    log(`→ ${rel}`);
    let result: RunResult;
    if (useJupyter) {
      result = runWithJupyter(file, outDir, { cellTimeoutMs: options.cellTimeoutMs });
      try {
        const exported = exportHtmlWithJupyter(executedPath, outDir);
        // nbconvert's page loads MathJax and require.js from this machine's files; carry KaTeX instead (maths.ts).
        writeFileSync(exported, selfContainedPage(readFileSync(exported, 'utf8')));
      } catch (e) {
        result.failures.push({ cell: 0, message: (e as Error).message });
      }
    } else {
      result = await runEmbedded(file, { cellTimeoutMs: options.cellTimeoutMs });
      writeNotebook(executedPath, result.notebook);
      writeFileSync(htmlPath, notebookToHtml(result.notebook, name));
    }
    for (const f of result.failures) log(`  ✗ ${rel} cell ${f.cell}: ${f.message.split('\n').join('\n      ')}`);
    reports.push({ ...result, file, executedPath, htmlPath });
  }
  return reports;
}

/** The summary table printed at the end. */
export function summaryTable(reports: NotebookReport[], root: string): string {
  const rows = reports.map((r) => {
    const code = r.notebook.cells.filter((c) => c.cell_type === 'code').length;
    const first = r.failures[0];
    return [
      relative(root, r.file),
      r.runner,
      String(code),
      `${(r.ms / 1000).toFixed(1)} s`,
      r.failures.length === 0 ? 'ok' : `FAILED (${r.failures.length})`,
      first ? `cell ${first.cell}: ${first.message.split('\n')[0]!.slice(0, 80)}` : '',
    ];
  });
  const header = ['notebook', 'runner', 'code cells', 'time', 'status', 'first problem'];
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const line = (cols: string[]) => cols.map((c, j) => c.padEnd(widths[j]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('npm run notebooks --')
    .description('Execute every notebook under notebooks/ and write executed copies and HTML to build/notebooks/')
    .argument('[filter]', 'only notebooks whose path (relative to notebooks/) contains this text')
    .option('--embedded', 'use the embedded Node runner even when Jupyter is installed')
    .option('--timeout <seconds>', 'limit per cell in seconds', String(DEFAULT_CELL_TIMEOUT_MS / 1000))
    .option('--out <dir>', 'output folder', 'build/notebooks')
    .parse(argv);
  const opts = program.opts<{ embedded?: boolean; timeout: string; out: string }>();
  const timeout = Number(opts.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    console.error(`--timeout must be a positive number of seconds, got '${opts.timeout}'`);
    return 2;
  }
  const root = projectRoot();
  installKernelSpec(root);
  const notebooksDir = join(root, 'notebooks');
  const reports = await runAll({
    notebooksDir,
    outDir: resolve(root, opts.out),
    filter: program.args[0],
    embedded: opts.embedded,
    cellTimeoutMs: timeout * 1000,
  });
  if (reports.length === 0) {
    console.error(`No notebooks matched in ${relative(process.cwd(), notebooksDir) || '.'}${program.args[0] ? ` (filter '${program.args[0]}')` : ''}.`);
    return 1;
  }
  console.log('\n' + summaryTable(reports, root));
  const failed = reports.filter((r) => r.failures.length > 0);
  console.log(failed.length === 0 ? `\nAll ${reports.length} notebook(s) ran cleanly.` : `\n${failed.length} of ${reports.length} notebook(s) FAILED.`);
  return failed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
