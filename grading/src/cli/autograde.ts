#!/usr/bin/env node
/**
 * course-autograde: release a homework, autograde submissions in sandboxes,
 * write feedback pages. `npm run grade -- --help`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { join } from 'path';
import { autogradeBatch } from '../autograde/batch';
import { writeFeedback } from '../autograde/feedback';
import { readNotebook } from '../autograde/notebook';
import { assignmentName, releaseNotebook } from '../autograde/release';
import { registerServeCommand } from '../manual/cli';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const program = new Command('course-autograde')
  .description('Release TypeScript homework notebooks, autograde submissions in a sandbox, write feedback pages.')
  .showHelpAfterError();

program
  .command('release')
  .description('validate a source notebook and write the student notebook (solutions stubbed, hidden tests removed)')
  .argument('<source>', 'source notebook with reference solutions, e.g. notebooks/hw1-backprop/hw1-backprop.source.ipynb')
  .option('-o, --out <file>', 'student notebook to write (default build/<assignment>/<assignment>.ipynb)')
  .action((source: string, opts: { out?: string }) => {
    const name = assignmentName(readNotebook(source), source);
    const out = opts.out ?? join('build', name, `${name}.ipynb`);
    const a = releaseNotebook({ source, out });
    console.log(`released ${a.name} (${a.maxPoints} points) → ${out}`);
  });

program
  .command('autograde')
  .description('grade every submission listed in the manifest; one JSON result per student')
  .argument('<source>', 'source notebook with reference solutions')
  .argument('<submissions>', 'folder of submitted notebooks')
  .option('-m, --manifest <csv>', 'student_id,file,submitted_at (default <submissions>/../manifest.csv)')
  .option('-o, --out <dir>', 'results folder (default build/<assignment>/results)')
  .option('-f, --force', 'regrade even when a result with the same inputs exists')
  .option('-j, --jobs <n>', 'parallel sandboxes (default: available cores)', positiveInt)
  .option('--cell-timeout <s>', 'wall-clock limit per cell or test, seconds', positiveInt, 10)
  .option('--timeout <s>', 'wall-clock limit per submission, seconds', positiveInt, 60)
  .option('--memory <mb>', 'V8 heap limit per sandbox, MB', positiveInt, 512)
  .option('--time-zone <iana>', 'course time zone for manifest times without offset', 'America/Los_Angeles')
  .option('--only <ids>', 'comma-separated student ids')
  .option('--no-progress', 'no progress bar')
  .option('--json', 'print the summary as JSON')
  .action(async (source: string, submissions: string, o: Record<string, unknown>) => {
    const summary = await autogradeBatch({
      source,
      submissionsDir: submissions,
      manifest: o.manifest as string | undefined,
      outDir: o.out as string | undefined,
      force: o.force === true,
      concurrency: o.jobs as number | undefined,
      limits: { cellTimeoutMs: (o.cellTimeout as number) * 1000, totalTimeoutMs: (o.timeout as number) * 1000, heapMb: o.memory as number },
      timeZone: o.timeZone as string,
      only: typeof o.only === 'string' ? o.only.split(',') : undefined,
      progress: o.progress === false ? false : undefined,
      log: o.json ? undefined : (l) => console.log(l),
    });
    if (o.json) {
      console.log(JSON.stringify({ ...summary, results: summary.results.map((r) => ({ student_id: r.student_id, status: r.status, points: r.points })) }, null, 2));
      return;
    }
    const perMin = summary.graded.length / (summary.ms / 60000);
    console.log(`${summary.assignment}: ${summary.graded.length} graded, ${summary.skipped.length} unchanged, results in ${summary.outDir}` +
      (summary.graded.length ? ` (${perMin.toFixed(1)} submissions/min)` : ''));
  });

program
  .command('feedback')
  .description('write one HTML feedback page per result (hidden tests only as counts)')
  .argument('<results>', 'results folder written by autograde')
  .option('-o, --out <dir>', 'output folder (default <results>/../feedback)')
  .option('--gradebook <db>', 'gradebook with rubric scores and comments of written answers (from `serve`)')
  .action((results: string, o: { out?: string; gradebook?: string }) => {
    const out = o.out ?? join(results, '..', 'feedback');
    const written = writeFeedback({ resultsDir: results, outDir: out, gradebook: o.gradebook });
    console.log(`${written.length} feedback pages → ${out}`);
  });

registerServeCommand(program);

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
});
