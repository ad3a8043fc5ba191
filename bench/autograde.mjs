// Autograde throughput for the 40 sample hw1 submissions (submissions/min),
// next to one Jupyter kernel per submission (`jupyter nbconvert --execute`)
// when Jupyter and the course kernel are installed. Run after `npm run build`:
//   node bench/autograde.mjs [--jupyter-sample N] [--compare]
// --compare also grades the batch with sandboxes started without the startup snapshot.
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

const { DEFAULT_LIMITS, sandboxSnapshot, sandboxSnapshotProblems } = require(join(root, 'grading/dist/autograde/sandbox.js'));

// The sandboxes' startup snapshot is built once per build (kept in build/.sandbox); time it apart.
const s0 = performance.now();
const snapshot = await sandboxSnapshot(DEFAULT_LIMITS.heapMb);
const snapshotSeconds = (performance.now() - s0) / 1000;
console.log(snapshot
  ? `sandbox startup snapshot ready in ${snapshotSeconds.toFixed(1)} s (built once, reused while its inputs are unchanged)`
  : `no sandbox startup snapshot: ${sandboxSnapshotProblems().join('; ')}`);

// Build the answer key first so that it is not counted.
await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results'), only: ['s001'], progress: false });
const summary = await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results'), force: false, progress: false });
const graded = summary.graded.length;
const perMin = graded / (summary.ms / 60000);
const out = { date: new Date().toISOString(), submissions: graded, seconds: summary.ms / 1000, sandboxPerMin: perMin, snapshot: Boolean(snapshot), snapshotSeconds };
console.log(`sandboxed autograde: ${graded} submissions in ${(summary.ms / 1000).toFixed(1)} s = ${perMin.toFixed(1)} submissions/min (target 60)`);

// --compare: the same batch with every sandbox creating its TypeScript converter itself (no snapshot),
// and the grades of both runs compared student by student.
if (process.argv.includes('--compare')) {
  process.env.COURSE_KIT_SANDBOX_SNAPSHOT = '0';
  const plain = await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results-plain'), force: true, progress: false });
  delete process.env.COURSE_KIT_SANDBOX_SNAPSHOT;
  const plainPerMin = plain.graded.length / (plain.ms / 60000);
  const grades = (s) => new Map(s.results.map((r) => [r.student_id, JSON.stringify([r.status, r.points, r.tests.map((t) => [t.id, t.passed, t.points, t.message])])]));
  const a = grades(summary);
  const b = grades(plain);
  const differ = [...b.keys()].filter((id) => a.has(id) && a.get(id) !== b.get(id));
  out.plainPerMin = plainPerMin;
  out.gradesDiffer = differ;
  console.log(`same batch without the snapshot: ${plain.graded.length} submissions in ${(plain.ms / 1000).toFixed(1)} s = ${plainPerMin.toFixed(1)} submissions/min`);
  console.log(differ.length ? `GRADES DIFFER for ${differ.join(', ')}` : `grades identical in both runs (${b.size} students: status, points, per-test results and messages)`);
}

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
