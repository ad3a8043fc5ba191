#!/usr/bin/env node
/**
 * `npm start`: the instructor's whole job on the sample course in data/, with
 * no Python and no server. Each step is a library call that the CLIs also
 * expose, so the pipeline is only their composition:
 *
 *   for every assignment of the course config that has a source notebook:
 *   release → autograde its submissions → feedback pages
 *   → gradebook (config, roster, extensions, manifest, results, manual scores)
 *   → final grades, exports and reports in build/.
 *
 * Rerunning is cheap: autograde skips submissions already graded from the same
 * inputs, and re-importing unchanged files leaves the gradebook as it was.
 */
import { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';
import { autogradeBatch, writeFeedback } from './autograde';
import { outcomeLine, releaseChecked } from './autograde/batch';
import { readNotebook } from './autograde/notebook';
import { assignmentName } from './autograde/release';
import { loadCourseConfig, runCourse } from './gradebook';
import type { AssignmentConfig, CourseConfig, StudentGrade } from './gradebook';
import { describeError } from './cli/errors';
import { setIsolationPolicy } from './autograde/isolation';

interface PipelineOptions {
  data: string;
  build: string;
  force: boolean;
  jobs?: number;
  /** Exit 0 even when submissions crashed or timed out. */
  allowFailures?: boolean;
}

/** One autograded homework: its source notebook and submissions. */
export interface Homework {
  id: string;
  source: string;
  submissions: string;
  manifest: string;
}

/** Every `*.source.ipynb` under `dirs` (not in node_modules, build or hidden folders), by its assignment name. */
export function findSourceNotebooks(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || name === 'node_modules' || name === 'build') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p, depth + 1);
      else if (name.endsWith('.source.ipynb')) {
        const id = assignmentName(readNotebook(p), p);
        const other = found.get(id);
        if (other && other !== p) throw new Error(`pipeline: two source notebooks say they are ${id}: ${other} and ${p} (set source: on the assignment in the course config)`);
        found.set(id, p);
      }
    }
  };
  for (const d of [...new Set(dirs.map((x) => resolve(x)))]) walk(d, 0);
  return found;
}

/**
 * The autograded homeworks of a course: every assignment of the config whose source notebook is named by
 * `source:` (relative to the config) or found by its assignment id (notebook metadata course_kit.assignment,
 * or the file name) in the data folder or the kit's notebooks/. Submissions are <data>/<id>/submissions,
 * the manifest <data>/<id>/manifest.csv. An assignment with submissions but no source notebook is an error.
 */
export function homeworks(root: string, dataDir: string, config: CourseConfig): Homework[] {
  const found = findSourceNotebooks([dataDir, join(root, 'notebooks'), join(dirname(dataDir), 'notebooks')]);
  const out: Homework[] = [];
  for (const a of config.assignments) {
    const source = a.source ? resolve(dataDir, a.source) : found.get(a.id);
    const submissions = join(dataDir, a.id, 'submissions');
    if (a.source && !existsSync(source!)) throw new Error(`pipeline: ${a.id}: its source notebook ${source} (source: in course.yaml) does not exist`);
    if (!source) {
      if (existsSync(submissions)) {
        throw new Error(`pipeline: ${a.id} has submissions (${submissions}) but no source notebook: set source: on the assignment in course.yaml, ` +
          `or give the notebook metadata course_kit.assignment "${a.id}" (or name it ${a.id}.source.ipynb)`);
      }
      continue;
    }
    out.push({ id: a.id, source, submissions, manifest: join(dataDir, a.id, 'manifest.csv') });
  }
  return out;
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

/** The batch failures that the assignment's config does not list as expected (see AssignmentConfig.expected_failures). */
export function unexpectedFailures(
  failures: { student_id: string; status: string }[],
  expected: AssignmentConfig['expected_failures'] = [],
): { student_id: string; status: string }[] {
  return failures.filter((f) => !expected.some((e) => e.student === f.student_id && e.status === f.status));
}

export async function runPipeline(opts: PipelineOptions): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const dataDir = resolve(opts.data);
  const buildDir = resolve(opts.build);
  const rel = (p: string): string => relative(process.cwd(), p) || '.';
  const results: Record<string, string> = {};
  const config = loadCourseConfig(join(dataDir, 'course.yaml'));
  const failures: string[] = [];

  for (const hw of homeworks(root, dataDir, config)) {
    if (!existsSync(hw.source)) throw new Error(`pipeline: source notebook ${rel(hw.source)} is missing`);
    const released = join(buildDir, hw.id, 'release', `${hw.id}.ipynb`);
    // The authoring checks run the reference solution; its answer key is the one autograde reuses below.
    const { assignment, key } = await releaseChecked({ source: hw.source, out: released, assignment: hw.id, keyPath: join(buildDir, hw.id, 'answer-key.json') });
    console.log(`1. released ${hw.id} (${assignment.cells.length} cells; the reference solution passes its ${key.tests.length} tests) → ${rel(released)}`);
    if (!existsSync(hw.submissions)) {
      console.log(`   no submissions for ${hw.id} yet (${rel(hw.submissions)})`);
      continue;
    }

    const outDir = join(buildDir, hw.id, 'results');
    const batch = await autogradeBatch({
      source: hw.source,
      assignment: hw.id,
      timeZone: config.course.time_zone,
      submissionsDir: hw.submissions,
      manifest: hw.manifest,
      outDir,
      force: opts.force,
      concurrency: opts.jobs,
      log: (line) => console.log(`   ${line}`),
    });
    console.log(
      `2. autograded ${hw.id}: ${batch.graded.length} graded, ${batch.skipped.length} unchanged (skipped) in ` +
        `${(batch.ms / 1000).toFixed(1)} s; ${outcomeLine(batch.counts)}`,
    );
    const unexpected = unexpectedFailures(batch.failures, config.assignments.find((a) => a.id === hw.id)?.expected_failures);
    for (const f of batch.failures) {
      const known = !unexpected.includes(f);
      console.log(`   ${f.status.toUpperCase()} ${f.student_id}: ${f.cause ?? ''}${known ? ' (expected: listed in course.yaml expected_failures)' : ''}`);
      if (!known) failures.push(`${hw.id}/${f.student_id}`);
    }
    for (const w of batch.warnings) console.log(`   warning: ${w}`);

    // Rubric scores and comments given on the grading page (npm run grade -- serve) appear with the written answers.
    const gradebook = join(buildDir, 'gradebook.sqlite');
    const pages = writeFeedback({ resultsDir: outDir, outDir: join(buildDir, hw.id, 'feedback'), gradebook: existsSync(gradebook) ? gradebook : undefined });
    console.log(`3. wrote ${pages.length} feedback pages → ${rel(join(buildDir, hw.id, 'feedback'))}`);
    results[hw.id] = outDir;
  }

  const course = runCourse({ dataDir, buildDir, results });
  const changed = course.imports.reduce((n, s) => n + s.changes, 0);
  console.log(`4. gradebook ${rel(course.db)}: ${course.imports.length} imports, ${changed} changes`);
  for (const n of course.imports.flatMap((s) => s.notes)) console.log(`   note: ${n}`);
  const graded = course.grades.filter((g) => g.finalRounded !== null);
  const mean = graded.reduce((s, g) => s + (g.finalRounded ?? 0), 0) / Math.max(1, graded.length);
  console.log(`5. final grades for ${course.grades.length} students, mean ${mean.toFixed(2)} %: ${letterTable(course.grades)}`);
  console.log(`   ${rel(course.files.grades)}`);
  console.log(`   ${rel(course.files.canvas)}`);
  console.log(`   ${rel(course.files.classReport)} (+ ${course.files.studentSheets} student grade sheets)`);
  if (failures.length > 0) {
    console.log(`${failures.length} submission${failures.length === 1 ? '' : 's'} could not be graded normally (${failures.join(', ')}): ` +
      `flagged in the gradebook until resolved${opts.allowFailures ? '' : '; exit code 2 (--allow-failures to accept)'}`);
    if (!opts.allowFailures) process.exitCode = 2;
  }
}

function main(): void {
  const program = new Command()
    .name('npm start --')
    .description('Run the whole grading pipeline on a course folder (default: the sample course in data/).')
    .option('--data <dir>', 'course folder (course.yaml, roster.csv, <assignment>/submissions and manifest.csv, scores/)', 'data')
    .option('--build <dir>', 'output folder', 'build')
    .option('-f, --force', 'regrade submissions even if their results are up to date', false)
    .option('-j, --jobs <n>', 'parallel sandboxes (default: number of cores)', (v) => Number.parseInt(v, 10))
    .option('--allow-failures', 'exit 0 even when submissions crashed or timed out (they stay flagged in the gradebook)', false)
    .option('--weak-isolation', 'where bubblewrap cannot be used, grade under the permission model, heap cap and prlimit only (recorded in every result)', false)
    .parse();
  if (program.opts().weakIsolation === true) setIsolationPolicy('allow-weaker');
  runPipeline(program.opts<PipelineOptions>()).catch((err: unknown) => {
    const d = describeError(err, (e) => !/^(TypeError|ReferenceError|RangeError|SyntaxError)$/.test(e.name));
    console.error(d.message);
    if (d.bug) console.error((err as Error).stack);
    process.exitCode = 1;
  });
}

if (require.main === module) main();
