// Autograde throughput for the 40 sample hw1 submissions (submissions/min),
// next to one Jupyter kernel per submission (`jupyter nbconvert --execute`)
// when Jupyter and the course kernel are installed. Run after `npm run build`:
//   node bench/autograde.mjs [--jupyter-sample N]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { autogradeBatch } = require(join(root, 'grading/dist/autograde/batch.js'));
const source = join(root, 'notebooks/hw1-backprop/hw1-backprop.source.ipynb');
const submissions = join(root, 'data/hw1/submissions');
const work = mkdtempSync(join(tmpdir(), 'bench-autograde-'));

// Build the answer key first so that it is not counted.
await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results'), only: ['s001'], progress: false });
const summary = await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results'), force: false, progress: false });
const graded = summary.graded.length;
const perMin = graded / (summary.ms / 60000);
const out = { date: new Date().toISOString(), submissions: graded, seconds: summary.ms / 1000, sandboxPerMin: perMin };
console.log(`sandboxed autograde: ${graded} submissions in ${(summary.ms / 1000).toFixed(1)} s = ${perMin.toFixed(1)} submissions/min (target 60)`);

let jupyter;
try {
  execFileSync('jupyter', ['nbconvert', '--version'], { stdio: 'ignore' });
  jupyter = true;
} catch {
  console.log('jupyter nbconvert not installed: skipping the one-kernel-per-submission comparison');
}
if (jupyter) {
  const n = Number(process.argv[process.argv.indexOf('--jupyter-sample') + 1]) || 5;
  const files = readdirSync(submissions).filter((f) => f.endsWith('.ipynb')).slice(0, n);
  const jdir = join(work, 'jupyter');
  mkdirSync(jdir);
  const t0 = performance.now();
  let failed = 0;
  for (const f of files) {
    try {
      execFileSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=60',
        '--allow-errors', '--output-dir', jdir, join(submissions, f)], { stdio: 'ignore', env: { ...process.env, JUPYTER_PATH: join(root, '.jupyter-kernels') } });
    } catch {
      failed++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  out.jupyterPerMin = files.length / (s / 60);
  out.jupyterFailed = failed;
  console.log(`jupyter nbconvert --execute (sequential, ${files.length} submissions, no judging): ${out.jupyterPerMin.toFixed(1)} submissions/min${failed ? ` (${failed} failed to run)` : ''}`);
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/autograde.json'), JSON.stringify(out, null, 2) + '\n');
