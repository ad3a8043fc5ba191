#!/usr/bin/env node
/**
 * `npm start`: the instructor's whole job on the sample course in data/, with
 * no Python and no server. Each step is a library call that the CLIs also
 * expose, so the pipeline is only their composition:
 *
 *   release hw1 → autograde the submissions → feedback pages
 *   → gradebook (config, roster, extensions, manifest, results, manual scores)
 *   → final grades, exports and reports in build/.
 *
 * Rerunning is cheap: autograde skips submissions already graded from the same
 * inputs, and re-importing unchanged files leaves the gradebook as it was.
 */
import { Command } from 'commander';
import { existsSync } from 'fs';
import { join, relative, resolve } from 'path';
import { autogradeBatch, releaseNotebook, writeFeedback } from './autograde';
import { runCourse } from './gradebook';
import type { StudentGrade } from './gradebook';

interface PipelineOptions {
  data: string;
  build: string;
  force: boolean;
  jobs?: number;
}

/** One homework of the sample course: its source notebook and submissions. */
interface Homework {
  id: string;
  source: string;
  submissions: string;
  manifest: string;
}

function homeworks(root: string, dataDir: string): Homework[] {
  return [
    {
      id: 'hw1',
      source: join(root, 'notebooks', 'hw1-backprop', 'hw1-backprop.source.ipynb'),
      submissions: join(dataDir, 'hw1', 'submissions'),
      manifest: join(dataDir, 'hw1', 'manifest.csv'),
    },
  ];
}

function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + 1);
  return m;
}

/** "A 10, A− 9, …": letters from the best to the worst (ordered by their students' best final %). */
function letterTable(grades: StudentGrade[]): string {
  const best = new Map<string, number>();
  for (const g of grades) best.set(g.letter, Math.max(best.get(g.letter) ?? -Infinity, g.finalRounded ?? -Infinity));
  const counts = countBy(grades, (g) => g.letter);
  return [...counts.entries()]
    .sort((a, b) => (best.get(b[0]) ?? 0) - (best.get(a[0]) ?? 0))
    .map(([letter, n]) => `${letter} ${n}`)
    .join(', ');
}

export async function runPipeline(opts: PipelineOptions): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const dataDir = resolve(opts.data);
  const buildDir = resolve(opts.build);
  const rel = (p: string): string => relative(process.cwd(), p) || '.';
  const results: Record<string, string> = {};

  for (const hw of homeworks(root, dataDir)) {
    if (!existsSync(hw.source)) throw new Error(`pipeline: source notebook ${rel(hw.source)} is missing`);
    const released = join(buildDir, hw.id, 'release', `${hw.id}.ipynb`);
    const assignment = releaseNotebook({ source: hw.source, out: released, assignment: hw.id });
    console.log(`1. released ${hw.id} (${assignment.cells.length} cells) → ${rel(released)}`);

    const outDir = join(buildDir, hw.id, 'results');
    const batch = await autogradeBatch({
      source: hw.source,
      submissionsDir: hw.submissions,
      manifest: hw.manifest,
      outDir,
      force: opts.force,
      concurrency: opts.jobs,
      log: (line) => console.log(`   ${line}`),
    });
    const status = countBy(batch.results, (r) => r.status);
    console.log(
      `2. autograded ${hw.id}: ${batch.graded.length} graded, ${batch.skipped.length} unchanged (skipped) in ` +
        `${(batch.ms / 1000).toFixed(1)} s; status ${[...status.entries()].map(([s, n]) => `${s} ${n}`).join(', ')}`,
    );
    for (const w of batch.warnings) console.log(`   warning: ${w}`);

    const pages = writeFeedback({ resultsDir: outDir, outDir: join(buildDir, hw.id, 'feedback') });
    console.log(`3. wrote ${pages.length} feedback pages → ${rel(join(buildDir, hw.id, 'feedback'))}`);
    results[hw.id] = outDir;
  }

  const course = runCourse({ dataDir, buildDir, results });
  const changed = course.imports.reduce((n, s) => n + s.changes, 0);
  console.log(`4. gradebook ${rel(course.db)}: ${course.imports.length} imports, ${changed} changes`);
  const graded = course.grades.filter((g) => g.finalRounded !== null);
  const mean = graded.reduce((s, g) => s + (g.finalRounded ?? 0), 0) / Math.max(1, graded.length);
  console.log(`5. final grades for ${course.grades.length} students, mean ${mean.toFixed(2)} %: ${letterTable(course.grades)}`);
  console.log(`   ${rel(course.files.grades)}`);
  console.log(`   ${rel(course.files.canvas)}`);
  console.log(`   ${rel(course.files.classReport)} (+ ${course.files.studentSheets} student grade sheets)`);
}

function main(): void {
  const program = new Command()
    .name('npm start --')
    .description('Run the whole grading pipeline on a course folder (default: the sample course in data/).')
    .option('--data <dir>', 'course folder (course.yaml, roster.csv, hw1/, scores/)', 'data')
    .option('--build <dir>', 'output folder', 'build')
    .option('-f, --force', 'regrade submissions even if their results are up to date', false)
    .option('-j, --jobs <n>', 'parallel sandboxes (default: number of cores)', (v) => Number.parseInt(v, 10))
    .parse();
  runPipeline(program.opts<PipelineOptions>()).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}

if (require.main === module) main();
