#!/usr/bin/env node
import { Command } from 'commander';
import { join } from 'path';
import {
  Db, GradebookError, InputError, StudentGrade, computeFinalGrades, exportCanvasCsv, exportGradesCsv, getConfig, gradeOf,
  importExtensions, importManifest, importResults, importRoster, importScores, initCourse, openGradebook, setOverride,
  showLocal, writeReports, resolveResult, itemStatusLabel,
} from '../gradebook';
import { describeError } from './errors';

/**
 * Gradebook CLI: every command works on one SQLite file (--db) and prints a
 * short text summary, or JSON with --json.
 */

interface Globals {
  db: string;
  json?: boolean;
}

function output(globals: Globals, value: unknown, text: string): void {
  process.stdout.write(globals.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

/**
 * Opens the database, runs the command, closes it; errors become a message and exit code 1 (a missing
 * or unreadable file is one line naming it; a stack trace only for a fault of the kit). Only `init`
 * creates a database: any other command on a path with no gradebook says so.
 */
function withDb(cmd: Command, fn: (db: Db, g: Globals) => void, opts: { create?: boolean } = {}): void {
  const g = cmd.optsWithGlobals() as Globals;
  let db: Db | undefined;
  try {
    db = openGradebook(g.db, { create: opts.create === true });
    fn(db, g);
  } catch (e) {
    const d = describeError(e, (x) => x instanceof GradebookError);
    if (g.json) process.stdout.write(`${JSON.stringify({ error: d.message, problems: (e as InputError).problems })}\n`);
    else process.stderr.write(`gradebook: ${d.message}\n`);
    if (d.bug) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = 1;
  } finally {
    db?.close();
  }
}

/** The summary line of an import, then its notes (overrides that stand, capped scores). */
function importText(line: string, s: { notes: string[] }): string {
  return [line, ...s.notes.map((n) => `  note: ${n}`)].join('\n');
}

function studentText(g: StudentGrade, zone: string): string {
  const lines = [`${g.studentId}  ${g.name}  section ${g.section}  team ${g.team}`];
  for (const i of g.items) {
    const label = itemStatusLabel(i);
    const detail = i.status === 'excused' ? 'excused'
      : i.status === 'missing' ? 'missing → 0'
      : `${label === 'graded' ? '' : `${label.toUpperCase()}  `}raw ${i.raw}${i.penalty ? ` − late ${i.penalty}` : ''} = ${i.final}/${i.maxPoints}${i.source === 'manual' ? ' (manual)' : i.source === 'override' ? ' (override)' : i.source === 'team' ? ` (team ${i.teamPoints}${i.adjustment ? `, adjustment ${i.adjustment}` : ''})` : ''}`;
    const when = i.submittedAt ? `  submitted ${showLocal(i.submittedAt, zone)}` : '';
    const late = i.lateHours !== null ? `  ${i.lateHours.toFixed(2)} h late${i.late && i.late.periods > 0 ? `, ${i.late.periods} period${i.late.periods === 1 ? '' : 's'} charged${i.late.overMax ? ' (beyond the last accepted day)' : ''}` : i.late?.withinGrace ? ' (within grace)' : ''}` : '';
    const ext = i.extension ? `  extension ${i.extension}` : '';
    const flag = i.flag ? `  [autograde ${i.flag}: "gradebook resolve ${i.assignment} ${g.studentId}" accepts it, or override]` : '';
    lines.push(`  ${i.assignment.padEnd(10)} ${detail}${when}${late}${ext}${i.counts ? '' : '  (not counted)'}${flag}`);
    for (const n of i.notes) lines.push(`             note: ${n}`);
  }
  for (const c of g.components) lines.push(`  ${c.title.padEnd(18)} ${c.pct === null ? 'excused' : `${c.pct.toFixed(2)} %`}  weight ${c.weight} % (used ${c.effectiveWeight.toFixed(2)} %)`);
  lines.push(`  final ${g.finalRounded === null ? '—' : `${g.finalRounded.toFixed(2)} %`}  letter ${g.letter || '—'}`);
  return lines.join('\n');
}

export function buildProgram(): Command {
  const program = new Command('gradebook')
    .description('Course gradebook: import scores, apply late penalties, compute final grades, export and report.')
    .option('--db <path>', 'gradebook database file', join('build', 'gradebook.sqlite'))
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError();

  const summary = (what: string) => (s: { file: string; rows: number; changes: number }) => `${what} ${s.file}: ${s.rows} rows, ${s.changes} change${s.changes === 1 ? '' : 's'}`;

  program.command('init').description('store (or update) the course config; validates it first')
    .requiredOption('--config <course.yaml>', 'course config file')
    .action((opts: { config: string }, cmd: Command) => withDb(cmd, (db, g) => {
      const r = initCourse(db, opts.config);
      output(g, { course: r.config.course, changes: r.changes }, `course ${r.config.course.id}: config ${r.changes ? 'stored' : 'unchanged'} (${r.config.assignments.length} assignments)`);
    }, { create: true }));

  program.command('import-roster <csv>').description('import students: student_id,name,email,section,team[,login][,canvas_id]')
    .action((file: string, _o: unknown, cmd: Command) => withDb(cmd, (db, g) => {
      const s = importRoster(db, file);
      output(g, s, importText(summary('roster')(s), s));
    }));

  program.command('import-scores <assignment> <csv>').description('import manual scores (student_id,points[,comment][,submitted_at]), team scores (team,points) or adjustments (student_id,adjustment)')
    .action((assignment: string, file: string, _o: unknown, cmd: Command) => withDb(cmd, (db, g) => {
      const s = importScores(db, file, assignment);
      output(g, s, importText(summary(`scores ${assignment}`)(s), s));
    }));

  program.command('import-results <path>').description('import autograder result JSON (a folder of files or one file with an array)')
    .action((path: string, _o: unknown, cmd: Command) => withDb(cmd, (db, g) => {
      const s = importResults(db, path);
      output(g, s, importText(summary('results')(s), s));
    }));

  program.command('import-manifest <assignment> <csv>').description('import submission times: student_id,file,submitted_at')
    .action((assignment: string, file: string, _o: unknown, cmd: Command) => withDb(cmd, (db, g) => {
      const s = importManifest(db, file, assignment);
      output(g, s, importText(summary(`manifest ${assignment}`)(s), s));
    }));

  program.command('import-extensions <csv>').description('import extensions and excusals: student_id,assignment,kind[,days][,until][,reason]')
    .action((file: string, _o: unknown, cmd: Command) => withDb(cmd, (db, g) => {
      const s = importExtensions(db, file);
      output(g, s, importText(summary('extensions')(s), s));
    }));

  program.command('override <assignment> <student> <points>').description('set the score yourself; it stands over every import until "clear" removes it')
    .option('--comment <text>', 'reason, kept in the audit log', '')
    .action((assignment: string, student: string, points: string, opts: { comment: string }, cmd: Command) => withDb(cmd, (db, g) => {
      const value = points === 'clear' ? null : Number(points);
      if (value !== null && !Number.isFinite(value)) throw new GradebookError(`override: "${points}" is not a number`);
      const changes = setOverride(db, assignment, student, value, opts.comment);
      output(g, { assignment, student, points: value, changes }, `override ${assignment}/${student}: ${value === null ? 'cleared' : value} (${changes} change${changes === 1 ? '' : 's'})`);
    }));

  program.command('resolve <assignment> <student>').description('accept a crashed or timed-out autograde result as graded (its points stand; a new result is checked again)')
    .option('--comment <text>', 'reason, kept in the audit log', '')
    .action((assignment: string, student: string, opts: { comment: string }, cmd: Command) => withDb(cmd, (db, g) => {
      const changes = resolveResult(db, assignment, student, opts.comment);
      output(g, { assignment, student, changes }, `resolve ${assignment}/${student}: accepted (${changes} change${changes === 1 ? '' : 's'})`);
    }));

  program.command('show <student>').description("show one student's items, penalties, components and final grade")
    .action((student: string, _o: unknown, cmd: Command) => withDb(cmd, (db, g) => {
      const grade = gradeOf(db, student);
      output(g, grade, studentText(grade, getConfig(db).course.time_zone));
    }));

  program.command('grades').description('compute final grades and export grades.csv and the Canvas import CSV')
    .option('--out <dir>', 'output folder', join('build', 'grades'))
    .action((opts: { out: string }, cmd: Command) => withDb(cmd, (db, g) => {
      const grades = computeFinalGrades(db);
      const files = { grades: exportGradesCsv(db, join(opts.out, 'grades.csv')), canvas: exportCanvasCsv(db, join(opts.out, 'canvas-import.csv')) };
      const letters = new Map<string, number>();
      for (const x of grades) letters.set(x.letter, (letters.get(x.letter) ?? 0) + 1);
      // What still needs the instructor, as in the report: autograde crashes and timeouts not resolved.
      const flagged = grades.flatMap((x) => x.items.filter((i) => i.flag).map((i) => `${i.assignment}/${x.studentId} ${i.flag}`));
      const missing = grades.reduce((n, x) => n + x.items.filter((i) => i.status === 'missing' && i.counts).length, 0);
      output(g, { files, flagged, missing, students: grades.map((x) => ({ student_id: x.studentId, final_pct: x.finalRounded, letter: x.letter })) },
        `${grades.length} students; letters: ${[...letters].map(([l, n]) => `${l || '—'} ${n}`).join(', ')}\n${missing} missing item${missing === 1 ? '' : 's'}` +
        (flagged.length ? `; ${flagged.length} autograde failure${flagged.length === 1 ? '' : 's'} to resolve: ${flagged.join(', ')}` : '') +
        `\nwrote ${files.grades}\nwrote ${files.canvas}`);
    }));

  program.command('report').description('write the class report and one grade sheet per student (HTML)')
    .option('--out <dir>', 'output folder', join('build', 'report'))
    .action((opts: { out: string }, cmd: Command) => withDb(cmd, (db, g) => {
      const r = writeReports(db, opts.out);
      output(g, r, `wrote ${r.classReport} and ${r.studentSheets.length} student sheets`);
    }));

  program.command('audit').description('show the newest audit rows')
    .option('--limit <n>', 'rows', '20')
    .action((opts: { limit: string }, cmd: Command) => withDb(cmd, (db, g) => {
      const rows = db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(Number(opts.limit)) as Record<string, unknown>[];
      output(g, rows, rows.map((r) => `${r.at} ${r.source} ${r.entity} ${r.key} ${r.field}: ${r.old ?? '∅'} → ${r.new ?? '∅'}`).join('\n'));
    }));

  return program;
}

if (require.main === module) {
  buildProgram().parse(process.argv);
}
