/** `collect`: build a submission manifest from a Canvas download or a plain folder (registered on the course-autograde CLI). */
import type { Command } from 'commander';
import { join } from 'path';
import { loadCourseConfig } from '../gradebook/config';
import { collectSubmissions, reportLines, writeManifest } from './collect';

export function registerCollectCommand(program: Command): void {
  program
    .command('collect')
    .description('write the manifest (student_id,file,submitted_at) of a submissions folder: Canvas "download submissions" names or a plain folder, times from a CSV; lists unmatched files, duplicates, missing students and contradicting LATE markers (exit code 2 when something needs a look)')
    .argument('<assignment>', 'assignment id in the course config (its due time checks LATE markers)')
    .argument('<folder>', 'the submissions folder')
    .requiredOption('--times <csv>', 'Canvas: user_id,submitted_at (e.g. from the submissions API); plain: id,file,submitted_at')
    .option('--plain', 'a plain folder: the times CSV names each file (default: Canvas file names)')
    .option('--roster <csv>', 'roster with the id column', 'data/roster.csv')
    .option('--id-column <name>', 'roster column the ids refer to (default canvas_id for Canvas, student_id for --plain)')
    .option('--config <yaml>', 'course config', 'data/course.yaml')
    .option('-o, --out <csv>', 'manifest to write (default <folder>/../manifest.csv)')
    .option('--json', 'print the report as JSON')
    .action((assignment: string, folder: string, o: { times: string; plain?: boolean; roster: string; idColumn?: string; config: string; out?: string; json?: boolean }) => {
      const config = loadCourseConfig(o.config);
      const a = config.assignments.find((x) => x.id === assignment);
      if (!a) throw new Error(`unknown assignment "${assignment}" (known: ${config.assignments.map((x) => x.id).join(', ')})`);
      const report = collectSubmissions({
        mode: o.plain ? 'plain' : 'canvas', folder, times: o.times, roster: o.roster,
        idColumn: o.idColumn ?? (o.plain ? 'student_id' : 'canvas_id'), due: a.due, timeZone: config.course.time_zone,
      });
      const out = o.out ?? join(folder, '..', 'manifest.csv');
      writeManifest(report, out);
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else console.log([`manifest → ${out}`, ...reportLines(report)].join('\n'));
      if (report.problems > 0) process.exitCode = 2;
    });
}
