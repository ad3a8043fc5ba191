/**
 * Collecting submissions: the manifest (student_id,file,submitted_at) the autograder and the grading page
 * read, built from
 *  - a Canvas "download submissions" folder, whose file names are
 *    `<name>_[LATE_]<user id>_<submission id>_<original name>`, plus a CSV of submission times
 *    (`user_id,submitted_at`, e.g. from the Canvas submissions API), or
 *  - a plain folder with an explicit times CSV (`id,file,submitted_at`).
 * Ids are mapped to roster ids through a roster column (e.g. canvas_id). Nothing is guessed: files that
 * match no student, students with more than one file, times without a file, and students without a
 * submission are listed; a Canvas LATE marker that contradicts the submission time and the due date is
 * reported. File times are never used.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'fs';
import { basename, dirname, join } from 'path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { DateTime } from 'luxon';
import { parseTime } from '../gradebook/time';

export interface CollectOptions {
  /** canvas: file names carry user id and LATE; plain: the times CSV names each file. */
  mode: 'canvas' | 'plain';
  /** The submissions folder. */
  folder: string;
  /** canvas: user_id,submitted_at[,…]; plain: id,file,submitted_at (id in `idColumn`). */
  times: string;
  /** roster.csv (student_id,… with the id column). */
  roster: string;
  /** Roster column the folder's / times CSV's ids refer to (canvas_id for Canvas, else student_id, login, email…). */
  idColumn: string;
  /** Due time (course-zone wall clock or with offset) to check LATE markers against; null: no check. */
  due: string | null;
  timeZone: string;
}

export interface ManifestEntry {
  student_id: string;
  file: string;
  submitted_at: string;
}

export interface CollectReport {
  /** One row per roster student, in roster order; empty file/time for no submission or unresolved. */
  manifest: ManifestEntry[];
  /** Files that match no roster student (or no Canvas name pattern). */
  unmatched: { file: string; reason: string }[];
  /** Students with more than one file: none of them is chosen. */
  duplicates: { student_id: string; files: string[] }[];
  /** Roster students without a file. */
  missing: string[];
  /** Files without a submission time (the file's own time is never used). */
  noTime: { student_id: string; file: string }[];
  /** Rows of the times CSV that name no file or no student. */
  unusedTimes: { line: number; reason: string }[];
  /** LATE marker and time disagree (given the due date). */
  lateContradictions: { student_id: string; file: string; marker: boolean; submitted_at: string; reason: string }[];
  /** Problems that need the instructor (everything but missing students). */
  problems: number;
}

/** `<name>_[LATE_]<user id>_<submission id>_<original>`; the name part has no underscore in Canvas exports. */
const CANVAS_NAME = /^(?<name>[^_]+)_(?<late>LATE_)?(?<uid>\d+)_(?<sid>\d+)_(?<orig>.+)$/;

export function parseCanvasName(file: string): { userId: string; late: boolean; original: string } | null {
  const m = CANVAS_NAME.exec(file);
  return m ? { userId: m.groups!.uid!, late: m.groups!.late !== undefined, original: m.groups!.orig! } : null;
}

function readCsv(file: string, required: string[]): { line: number; row: Record<string, string> }[] {
  const records = parse(readFileSync(file), { columns: (h: string[]) => h.map((c) => c.trim()), info: true, skip_empty_lines: true, trim: true, bom: true }) as { record: Record<string, string>; info: { lines: number } }[];
  const columns = records[0] ? Object.keys(records[0].record) : (parse(readFileSync(file), { to_line: 1, bom: true, trim: true }) as string[][])[0] ?? [];
  for (const c of required) if (!columns.includes(c)) throw new Error(`${file}: missing column "${c}" (columns: ${columns.join(', ')})`);
  return records.map((r) => ({ line: r.info.lines, row: r.record }));
}

function time(text: string, zone: string, where: string): DateTime {
  const t = parseTime(text, zone);
  if ('error' in t) throw new Error(`${where}: ${t.error}`);
  return t.time;
}

export function collectSubmissions(o: CollectOptions): CollectReport {
  if (!existsSync(o.folder) || !statSync(o.folder).isDirectory()) throw new Error(`${o.folder}: not a folder`);
  const roster = readCsv(o.roster, ['student_id', o.idColumn]);
  const byId = new Map<string, string>();
  for (const { line, row } of roster) {
    const key = row[o.idColumn] ?? '';
    if (!key) continue; // a student without that id cannot be matched; listed as missing
    if (byId.has(key)) throw new Error(`${o.roster}:${line}: ${o.idColumn} "${key}" belongs to two students (${byId.get(key)}, ${row.student_id})`);
    byId.set(key, row.student_id!);
  }
  const due = o.due ? time(o.due, o.timeZone, 'due') : null;
  const report: CollectReport = { manifest: [], unmatched: [], duplicates: [], missing: [], noTime: [], unusedTimes: [], lateContradictions: [], problems: 0 };
  const files = readdirSync(o.folder).filter((f) => !f.startsWith('.') && statSync(join(o.folder, f)).isFile() && f !== 'manifest.csv').sort();
  const filesOf = new Map<string, { file: string; late: boolean | null }[]>();
  const timeOf = new Map<string, { at: DateTime; text: string }>();

  if (o.mode === 'canvas') {
    for (const file of files) {
      const c = parseCanvasName(file);
      if (!c) { report.unmatched.push({ file, reason: 'not a Canvas submission name (<name>_[LATE_]<user id>_<submission id>_<file>)' }); continue; }
      const sid = byId.get(c.userId);
      if (!sid) { report.unmatched.push({ file, reason: `user id ${c.userId} is not in the roster's ${o.idColumn} column` }); continue; }
      filesOf.set(sid, [...(filesOf.get(sid) ?? []), { file, late: c.late }]);
    }
    for (const { line, row } of readCsv(o.times, ['user_id', 'submitted_at'])) {
      const sid = byId.get(row.user_id!);
      if (!sid) { report.unusedTimes.push({ line, reason: `user id ${row.user_id} is not in the roster's ${o.idColumn} column` }); continue; }
      if (!row.submitted_at) continue; // Canvas lists unsubmitted students with an empty time
      if (timeOf.has(sid)) throw new Error(`${o.times}:${line}: a second time for user ${row.user_id}`);
      timeOf.set(sid, { at: time(row.submitted_at, o.timeZone, `${o.times}:${line}`), text: row.submitted_at });
      if (!filesOf.has(sid)) report.unusedTimes.push({ line, reason: `user id ${row.user_id} (${sid}) has a time but no file in the folder` });
    }
  } else {
    const present = new Set(files);
    const listed = new Set<string>();
    for (const { line, row } of readCsv(o.times, ['id', 'file', 'submitted_at'])) {
      const sid = byId.get(row.id!);
      if (!sid) { report.unusedTimes.push({ line, reason: `id ${row.id} is not in the roster's ${o.idColumn} column` }); continue; }
      const file = row.file!;
      if (!file) continue;
      if (basename(file) !== file) { report.unusedTimes.push({ line, reason: `"${file}" is not a plain file name` }); continue; }
      if (!present.has(file)) { report.unusedTimes.push({ line, reason: `${file} is not in the folder` }); continue; }
      listed.add(file);
      filesOf.set(sid, [...(filesOf.get(sid) ?? []), { file, late: null }]);
      if (row.submitted_at) {
        const at = time(row.submitted_at, o.timeZone, `${o.times}:${line}`);
        const old = timeOf.get(sid);
        if (!old || at > old.at) timeOf.set(sid, { at, text: row.submitted_at });
      }
    }
    for (const f of files) if (!listed.has(f)) report.unmatched.push({ file: f, reason: 'not listed in the times CSV' });
  }

  for (const { row } of roster) {
    const sid = row.student_id!;
    const mine = filesOf.get(sid) ?? [];
    const entry: ManifestEntry = { student_id: sid, file: '', submitted_at: '' };
    if (mine.length === 0) report.missing.push(sid);
    else if (mine.length > 1) report.duplicates.push({ student_id: sid, files: mine.map((m) => m.file) });
    else {
      const { file, late } = mine[0]!;
      entry.file = file;
      const t = timeOf.get(sid);
      if (!t) report.noTime.push({ student_id: sid, file });
      else {
        entry.submitted_at = t.at.toISO({ suppressMilliseconds: true })!;
        if (late !== null && due) {
          const isLate = t.at > due;
          if (late !== isLate) {
            report.lateContradictions.push({
              student_id: sid, file, marker: late, submitted_at: entry.submitted_at,
              reason: late ? `marked LATE but submitted ${entry.submitted_at}, before the due time ${due.toISO()} (a different due date in Canvas?)`
                : `not marked LATE but submitted ${entry.submitted_at}, after the due time ${due.toISO()} (an extension in Canvas?)`,
            });
          }
        }
      }
    }
    report.manifest.push(entry);
  }
  report.problems = report.unmatched.length + report.duplicates.length + report.noTime.length + report.unusedTimes.length + report.lateContradictions.length;
  return report;
}

export function writeManifest(report: CollectReport, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify(report.manifest, { header: true, columns: ['student_id', 'file', 'submitted_at'] }));
}

/** The report as text lines for the CLI. */
export function reportLines(r: CollectReport): string[] {
  const lines = [`${r.manifest.filter((m) => m.file).length} submissions matched, ${r.missing.length} students without a submission`];
  for (const u of r.unmatched) lines.push(`UNMATCHED ${u.file}: ${u.reason}`);
  for (const d of r.duplicates) lines.push(`DUPLICATE ${d.student_id}: ${d.files.length} files (${d.files.join(', ')}); none chosen — keep one in the folder and collect again`);
  for (const n of r.noTime) lines.push(`NO TIME ${n.student_id}: ${n.file} has no submission time in the times CSV (the file's own time is never used)`);
  for (const u of r.unusedTimes) lines.push(`TIMES line ${u.line}: ${u.reason}`);
  for (const l of r.lateContradictions) lines.push(`LATE MARKER ${l.student_id} ${l.file}: ${l.reason}`);
  if (r.missing.length) lines.push(`no submission: ${r.missing.join(', ')}`);
  return lines;
}
