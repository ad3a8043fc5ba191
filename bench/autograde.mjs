// Autograde throughput for the 40 sample hw1 submissions (submissions/min),
// next to one Jupyter kernel per submission (`jupyter nbconvert --execute`)
// when Jupyter and the course kernel are installed. Run after `npm run build`:
//   node bench/autograde.mjs [--jupyter-sample N] [--compare] [--isolation-only]
// --isolation-only measures only what bubblewrap costs per sandbox start.
// --compare also grades the batch with every sandbox converting its cells
// itself (COURSE_KIT_SANDBOX_COMPILE=local, the reference) and checks that
// the grades are identical.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { autogradeBatch } = require(join(root, 'grading/dist/autograde/batch.js'));
const { compilerPool } = require(join(root, 'grading/dist/autograde/compiler.js'));
const source = join(root, 'notebooks/hw1-backprop/hw1-backprop.source.ipynb');
const submissions = join(root, 'data/hw1/submissions');
const work = mkdtempSync(join(tmpdir(), 'bench-autograde-'));
const perMinute = (n, ms) => n / (ms / 60000);

// The sample submissions share much of their code (they come from a generator), and identical
// conversions are cached. Two rewritten copies show a real class, where no two students write the same text:
// 'distinct': a comment naming the student closes every solution cell (every student cell is converted anew);
// 'unique':   a declaration naming the student closes every solution cell, so that no cell after it sees the
//             same declarations as in another submission (nothing of a submission is found in the cache).
function rewrite(kind) {
  const dir = join(work, `submissions-${kind}`);
  mkdirSync(dir);
  for (const f of readdirSync(submissions)) {
    if (!f.endsWith('.ipynb')) {
      copyFileSync(join(submissions, f), join(dir, f));
      continue;
    }
    const text = readFileSync(join(submissions, f), 'utf8');
    let nb;
    try {
      nb = JSON.parse(text);
    } catch {
      writeFileSync(join(dir, f), text); // the corrupt sample stays corrupt
      continue;
    }
    const who = f.replace(/\W/g, '_');
    nb.cells.forEach((c, n) => {
      if (c.metadata?.course_kit?.kind !== 'solution') return;
      const src = Array.isArray(c.source) ? c.source.join('') : c.source;
      c.source = src + (kind === 'distinct' ? `\n// submitted by ${who}` : `\nconst submittedBy_${who}_${n} = ${n};`);
    });
    writeFileSync(join(dir, f), JSON.stringify(nb));
  }
  copyFileSync(join(submissions, '..', 'manifest.csv'), join(work, 'manifest.csv'));
  return dir;
}

if (process.argv.includes('--isolation-only')) {
  const isolation = await isolationCost();
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(join(root, 'bench/results/autograde-isolation.json'), JSON.stringify({ date: new Date().toISOString(), isolation }, null, 2) + '\n');
  process.exit(0);
}

// 1. What the instructor runs: the CLI in a new process, from nothing (compile servers start,
//    the answer key is built from the reference solution, then every submission is graded).
const variants = { samples: submissions, distinct: rewrite('distinct'), unique: rewrite('unique') };
const cold = {};
for (const [name, dir] of Object.entries(variants)) {
  const c0 = performance.now();
  const cli = JSON.parse(execFileSync(process.execPath, [join(root, 'grading/dist/cli/autograde.js'), 'autograde', source, dir,
    '--manifest', join(submissions, '..', 'manifest.csv'), '--out', join(work, `results-cli-${name}`), '--no-progress', '--json', '--allow-failures'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  const ms = performance.now() - c0;
  cold[name] = { submissions: cli.graded.length, seconds: ms / 1000, perMin: perMinute(cli.graded.length, ms) };
  console.log(`autograde CLI, cold, ${name.padEnd(8)} (new process: compile servers, answer key, ${cli.graded.length} submissions): ${(ms / 1000).toFixed(1)} s = ${cold[name].perMin.toFixed(1)} submissions/min (target 60)`);
}

// 2. The batch alone, in this process, once the answer key exists and the compile servers are up.
await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results'), only: ['s001'], progress: false });
const summary = await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results'), force: false, progress: false });
const graded = summary.graded.length;
const perMin = perMinute(graded, summary.ms);
const pool = compilerPool().stats;
const out = {
  date: new Date().toISOString(), submissions: graded, seconds: summary.ms / 1000, sandboxPerMin: perMin,
  cold, compiler: { ...pool },
};
console.log(`sandboxed autograde, batch only (s001 was graded while the key was built): ${graded} submissions in ${(summary.ms / 1000).toFixed(1)} s = ${perMin.toFixed(1)} submissions/min (target 60)`);
console.log(`  compile servers: ${pool.started} started, ${pool.conversions} conversions, ${pool.cacheHits} cache hits, ${pool.retries} retries`);

// --compare: the same batch with every sandbox converting its cells itself, grades compared student by student.
if (process.argv.includes('--compare')) {
  process.env.COURSE_KIT_SANDBOX_COMPILE = 'local';
  const local = await autogradeBatch({ source, submissionsDir: submissions, outDir: join(work, 'results-local'), force: true, progress: false });
  delete process.env.COURSE_KIT_SANDBOX_COMPILE;
  const localPerMin = perMinute(local.graded.length, local.ms);
  const grades = (s) => new Map(s.results.map((r) => [r.student_id, JSON.stringify([r.status, r.points, r.tests.map((t) => [t.id, t.passed, t.points, t.message])])]));
  const a = grades(summary);
  const b = grades(local);
  const differ = [...b.keys()].filter((id) => a.has(id) && a.get(id) !== b.get(id));
  out.localPerMin = localPerMin;
  out.gradesDiffer = differ;
  console.log(`same batch, each sandbox converting its own cells: ${local.graded.length} submissions in ${(local.ms / 1000).toFixed(1)} s = ${localPerMin.toFixed(1)} submissions/min`);
  console.log(differ.length ? `GRADES DIFFER for ${differ.join(', ')}` : `grades identical in both runs (${b.size} students: status, points, per-test results and messages)`);
}
// 3. The cost of isolation per sandbox start: a bare `node -e ''` with and without bubblewrap's namespaces and
//    mounts (bwrap's own cost), with SES's lockdown of the realm (realm.ts), and a sandbox that runs no cell (start, load the worker, report done) under
//    bubblewrap and under Node's permission model alone; alternated so that both see the same machine load.
async function isolationCost() {
  const { runInSandbox } = require(join(root, 'grading/dist/autograde/sandbox.js'));
  const { setIsolationPolicy, probeBubblewrap } = require(join(root, 'grading/dist/autograde/isolation.js'));
  if ('bwrap' in probeBubblewrap()) {
    const times = { bubblewrap: [], 'permission-only': [] };
    for (let i = 0; i < 8; i++) {
      for (const policy of ['require-bubblewrap', 'permission-only']) {
        setIsolationPolicy(policy);
        const r = await runInSandbox([], join(work, `start-${policy}-${i}`));
        if (r.status !== 'ok') throw new Error(`empty sandbox (${policy}): ${r.cause}`);
        times[policy === 'permission-only' ? 'permission-only' : 'bubblewrap'].push(r.ms);
      }
    }
    setIsolationPolicy('require-bubblewrap');
    const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    const bw = median(times.bubblewrap);
    const po = median(times['permission-only']);
    const { bwrapArgs } = require(join(root, 'grading/dist/autograde/isolation.js'));
    const { sandboxHome, sandboxReadList } = require(join(root, 'grading/dist/autograde/sandbox-env.js'));
    const home = sandboxHome();
    const wrapped = [...bwrapArgs({ reads: sandboxReadList(home), cwd: home, scratchMb: 16 }), '--', process.execPath, '-e', ''];
    // The hardened realm (realm.ts): loading SES and freezing every intrinsic, in a bare process.
    const lockdownScript = `require(${JSON.stringify(join(root, 'grading/dist/autograde/realm.js'))}).lockdownIntrinsics()`;
    const bare = { plain: [], bwrap: [], lockdown: [] };
    for (let i = 0; i < 20; i++) {
      let t = performance.now();
      execFileSync(process.execPath, ['-e', ''], { env: { PATH: process.env.PATH } });
      bare.plain.push(performance.now() - t);
      t = performance.now();
      execFileSync(probeBubblewrap().bwrap, wrapped, { env: { PATH: process.env.PATH } });
      bare.bwrap.push(performance.now() - t);
      t = performance.now();
      execFileSync(process.execPath, ['-e', lockdownScript], { env: { PATH: process.env.PATH } });
      bare.lockdown.push(performance.now() - t);
    }
    const bp = median(bare.plain);
    const bb = median(bare.bwrap);
    const bl = median(bare.lockdown);
    const result = {
      emptySandbox: { bubblewrap: bw, permissionOnly: po },
      bareNode: { plain: bp, bubblewrap: bb, cost: bb - bp, lockdown: bl, lockdownCost: bl - bp },
    };
    console.log(`bare node -e '' (median of 20, alternated): ${bp.toFixed(0)} ms plain, ${bb.toFixed(0)} ms in bubblewrap: bubblewrap costs ${(bb - bp).toFixed(0)} ms per process start`);
    console.log(`bare node loading SES and freezing the realm (lockdown): ${bl.toFixed(0)} ms: the hardened realm costs ${(bl - bp).toFixed(0)} ms per sandbox start`);
    console.log(`empty sandbox, start to done (median of 8, alternated): bubblewrap ${bw.toFixed(0)} ms, permission model only ${po.toFixed(0)} ms`);
    return result;
  }
  console.log('bubblewrap not usable here: the isolation cost was not measured');
  return undefined;
}
out.isolation = await isolationCost();
compilerPool().close();
const worst = Math.min(...Object.values(cold).map((c) => c.perMin));
console.log(`target (issue 3): [${worst >= 60 ? 'met' : 'MISSED'}] ≥ 60 submissions/min on this machine — slowest cold CLI run ${worst.toFixed(1)}/min`);

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
