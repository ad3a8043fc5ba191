#!/usr/bin/env node
/**
 * course-autograde: release a homework, autograde submissions in sandboxes,
 * write feedback pages. `npm run grade -- --help`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { join } from 'path';
import { autogradeBatch, buildAnswerKeyFile, outcomeLine, releaseChecked } from '../autograde/batch';
import { mergeShards, parseShard } from '../autograde/shards';
import { describeError } from './errors';
import { setIsolationPolicy } from '../autograde/isolation';
import { writeFeedback } from '../autograde/feedback';
import { readNotebook } from '../autograde/notebook';
import { assignmentName, releaseNotebook } from '../autograde/release';
import { registerServeCommand } from '../manual/cli';
import { registerStudentKitCommand } from '../studentkit/cli';
import { registerCollectCommand } from '../collect/cli';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

const program = new Command('course-autograde')
  .description('Release TypeScript homework notebooks, autograde submissions in a sandbox, write feedback pages.')
  .option(
    '--weak-isolation',
    'where bubblewrap cannot be used, run student code under the permission model, heap cap and prlimit only ' +
      '(without this the autograder refuses); every result records the weaker isolation',
  )
  .showHelpAfterError();

// Before any command runs student or reference code: the isolation policy of this run.
program.hook('preAction', () => {
  if (program.opts().weakIsolation === true) setIsolationPolicy('allow-weaker');
});

program
  .command('release')
  .description('check a source notebook (structure; setup imports what the tests call; the reference solution passes every test, run as autograde runs it) and write the student notebook (solutions stubbed, hidden tests removed)')
  .argument('<source>', 'source notebook with reference solutions, e.g. notebooks/hw1-backprop/hw1-backprop.source.ipynb')
  .option('-o, --out <file>', 'student notebook to write (default build/<assignment>/<assignment>.ipynb)')
  .option('--no-run', 'skip running the reference solution (structure and import checks only)')
  .action(async (source: string, opts: { out?: string; run: boolean }) => {
    const name = assignmentName(readNotebook(source), source);
    const out = opts.out ?? join('build', name, `${name}.ipynb`);
    if (!opts.run) {
      const a = releaseNotebook({ source, out });
      console.log(`released ${a.name} (${a.maxPoints} points, reference solution not run) → ${out}`);
      return;
    }
    const { assignment: a, key } = await releaseChecked({ source, out, keyPath: join('build', name, 'answer-key.json') }); // never beside the student notebook
    console.log(`released ${a.name} (${a.maxPoints} points; the reference solution passes all ${key.tests.length} tests) → ${out}`);
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
  .option('--shard <i/n>', 'grade only part i of n of the class (by student id; the same split on every machine), e.g. 2/3; merge the parts with "merge"')
  .option('--key <file>', 'use this answer key (built once by "autograde key"), never rebuild it')
  .option('--key-sha256 <hex>', 'refuse the --key file unless its sha256 is this')
  .option('--allow-failures', 'exit 0 even when submissions crashed or timed out (they are still listed)')
  .option('--no-progress', 'no progress bar')
  .option('--json', 'print the summary as JSON')
  .action(async (source: string, submissions: string, o: Record<string, unknown>) => {
    const summary = await autogradeBatch({
      shard: typeof o.shard === 'string' ? parseShard(o.shard) : undefined,
      keyFile: o.key as string | undefined,
      keySha256: o.keySha256 as string | undefined,
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
    // Crashes and timeouts are failures of the batch unless the instructor says otherwise.
    if (summary.failures.length > 0 && o.allowFailures !== true) process.exitCode = 2;
    if (o.json) {
      console.log(JSON.stringify({ ...summary, results: summary.results.map((r) => ({ student_id: r.student_id, status: r.status, points: r.points })) }, null, 2));
      return;
    }
    const perMin = summary.graded.length / (summary.ms / 60000);
    const part = summary.shard ? ` (shard ${summary.shard.index + 1}/${summary.shard.count})` : '';
    console.log(`${summary.assignment}${part}: ${summary.graded.length} graded, ${summary.skipped.length} unchanged, results in ${summary.outDir}` +
      (summary.graded.length ? ` (${perMin.toFixed(1)} submissions/min)` : ''));
    console.log(`  ${outcomeLine(summary.counts)}`);
    for (const f of summary.failures) console.log(`  ${f.status.toUpperCase()} ${f.student_id}: ${f.cause ?? ''}`);
    if (summary.failures.length > 0) {
      console.log(`${summary.failures.length} submission${summary.failures.length === 1 ? '' : 's'} could not be graded normally` +
        (o.allowFailures === true ? ' (--allow-failures: exit 0)' : ': exit code 2 (--allow-failures to accept); rerun with --only to regrade them'));
    }
  });

program
  .command('key')
  .description('build the answer key once (run the reference solution), to ship with shards graded on other machines')
  .argument('<source>', 'source notebook with reference solutions')
  .requiredOption('-o, --out <file>', 'answer key file to write (keep it away from students)')
  .action(async (source: string, o: { out: string }) => {
    const { key, sha256 } = await buildAnswerKeyFile(source, o.out);
    console.log(`answer key of ${key.assignment} (${key.tests.length} tests) → ${o.out}\nsha256 ${sha256}`);
  });

program
  .command('merge')
  .description('combine the results folders of shards 1…n into one results folder (refuses shards of different sources or answer keys)')
  .argument('<out>', 'merged results folder to write')
  .argument('<shards...>', 'results folders written by autograde --shard')
  .action((out: string, shards: string[]) => {
    const m = mergeShards(out, shards);
    console.log(`merged ${m.shards} shards: ${m.students} results → ${m.outDir}`);
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
registerStudentKitCommand(program);
registerCollectCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  // A missing or unreadable input is one line naming it; the kit's own faults keep their stack.
  const d = describeError(e, (x) => x.name === 'NotebookError' || !/^(TypeError|ReferenceError|RangeError|SyntaxError)$/.test(x.name));
  console.error(`error: ${d.message}`);
  if (d.bug) console.error((e as Error).stack);
  process.exitCode = 1;
});
