import { mkdirSync, writeFileSync } from 'fs';
import { dirname } from 'path';
import { stringify } from 'csv-stringify/sync';
import { CourseConfig, exportsOf } from './config';
import { getConfig } from './course';
import { Db } from './db';
import { ItemGrade, StudentGrade, computeFinalGrades, itemStatusLabel } from './compute';

/**
 * Spreadsheet formula injection: a text cell starting with = + - @ (or the
 * Unicode minus and full-width forms), a tab or a carriage return can be run
 * as a formula by Excel/LibreOffice/Sheets. Such cells get a leading
 * apostrophe (OWASP's advice). Numbers we compute are written as numbers and
 * left alone, so a negative adjustment stays a number.
 */
export function neutralizeCell(value: string | number | null | undefined): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return value;
  return /^[=+\-@\t\r\u2212\uFF1D\uFF0B\uFF0D\uFF20]/.test(value) ? `'${value}` : value;
}

function csvText(rows: (string | number | null)[][]): string {
  return stringify(rows.map((r) => r.map(neutralizeCell)), { quoted_match: /[\r\n,"]/ });
}

/** Numbers in exports: at most 2 decimals (4 for points). */
function num(v: number | null, decimals = 2): number | string {
  return v === null ? '' : Number(v.toFixed(decimals));
}

/** Columns of grades.csv per assignment, in order. */
const ITEM_COLUMNS = ['status', 'raw', 'late_hours', 'late_periods', 'late_penalty', 'final'] as const;

/** Header of grades.csv: fixed columns, then status / raw / lateness / late penalty / final per assignment. */
export function gradesCsvHeader(config: CourseConfig): string[] {
  const compCols = config.components.map((c) => `${c.id}_pct`);
  const itemCols = config.assignments.flatMap((a) => ITEM_COLUMNS.map((c) => `${a.id}_${c}`));
  return ['student_id', 'name', 'team', ...compCols, 'final_pct', 'letter', ...itemCols];
}

/** The grades.csv cells of one item (see ITEM_COLUMNS). */
function itemCells(i: ItemGrade): (string | number)[] {
  const status = itemStatusLabel(i);
  if (i.status === 'excused') return [status, 'EX', '', '', 'EX', 'EX'];
  const periods = i.late && i.late.periods > 0 ? i.late.periods : i.lateHours !== null ? 0 : '';
  return [status, i.raw === null ? '' : num(i.raw, 4), i.lateHours === null ? '' : num(i.lateHours, 2), periods, num(i.penalty, 4), num(i.final, 4)];
}

/**
 * grades.csv text: one row per student. Component and final percentages
 * are shown with 2 decimals (final_pct is the rounded value the letter uses).
 * Per item: its status (graded, late, missing, excused, or crash/timeout until
 * resolved), raw points (empty when missing), hours late and periods charged,
 * the penalty and the final points ("EX" for excused, 0 for missing).
 */
export function gradesCsv(config: CourseConfig, grades: StudentGrade[]): string {
  const rows: (string | number | null)[][] = [gradesCsvHeader(config)];
  for (const g of grades) {
    const comps = config.components.map((c) => num(g.components.find((x) => x.id === c.id)!.pct));
    rows.push([g.studentId, g.name, g.team, ...comps, g.finalRounded ?? '', g.letter, ...g.items.flatMap(itemCells)]);
  }
  return csvText(rows);
}

/** Title of the extra Canvas assignment column that carries the kit's final grade (`canvas_final_grade: assignment`). */
export const CANVAS_FINAL_ASSIGNMENT = 'Final grade (course kit)';

/**
 * Canvas gradebook import CSV: Student, ID, SIS User ID, SIS Login ID,
 * Section, one "Title (id)" column per counted assignment (final points after
 * the late penalty; EX for excused; missing work 0 or blank as
 * `exports.canvas_missing` says), and a "Points Possible" row under the header.
 *
 * Canvas totals assignment groups by points, the kit by percentages per
 * assignment, so Canvas's own total can differ (even by a letter). The kit's
 * final percentage goes with it, as `exports.canvas_final_grade` says: an
 * "Override Score" column (Canvas's Final Grade Override, which then shows
 * the kit's number as the course grade) or a 100-point assignment column.
 */
export function canvasCsv(config: CourseConfig, grades: StudentGrade[]): string {
  const items = config.assignments.filter((a) => a.counts);
  const ex = exportsOf(config);
  const finalHeader = ex.canvas_final_grade === 'override-score' ? ['Override Score'] : ex.canvas_final_grade === 'assignment' ? [CANVAS_FINAL_ASSIGNMENT] : [];
  const finalPossible = ex.canvas_final_grade === 'assignment' ? [100] : ex.canvas_final_grade === 'override-score' ? [''] : [];
  const rows: (string | number | null)[][] = [
    ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...items.map((a) => `${a.title} (${a.canvas_id ?? a.id})`), ...finalHeader],
    ['    Points Possible', '', '', '', '', ...items.map((a) => a.max_points), ...finalPossible],
  ];
  for (const g of grades) {
    const cells = items.map((a) => {
      const i = g.items.find((x) => x.assignment === a.id)!;
      if (i.status === 'excused') return 'EX';
      if (i.status === 'missing' && ex.canvas_missing === 'blank') return '';
      return num(i.final, 4);
    });
    const final = finalHeader.length ? [g.finalRounded ?? ''] : [];
    rows.push([g.name, g.canvasId, g.studentId, g.login, g.section, ...cells, ...final]);
  }
  return csvText(rows);
}

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Computes grades now and writes grades.csv to `path`. */
export function exportGradesCsv(db: Db, path: string): string {
  return write(path, gradesCsv(getConfig(db), computeFinalGrades(db)));
}

/** Computes grades now and writes the Canvas import CSV to `path`. */
export function exportCanvasCsv(db: Db, path: string): string {
  return write(path, canvasCsv(getConfig(db), computeFinalGrades(db)));
}
