import { mkdirSync, writeFileSync } from 'fs';
import { dirname } from 'path';
import { stringify } from 'csv-stringify/sync';
import { CourseConfig } from './config';
import { getConfig } from './course';
import { Db } from './db';
import { StudentGrade, computeFinalGrades } from './compute';

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

/** Header of grades.csv: fixed columns, then raw / late penalty / final per assignment. */
export function gradesCsvHeader(config: CourseConfig): string[] {
  const compCols = config.components.map((c) => `${c.id}_pct`);
  const itemCols = config.assignments.flatMap((a) => [`${a.id}_raw`, `${a.id}_late_penalty`, `${a.id}_final`]);
  return ['student_id', 'name', 'team', ...compCols, 'final_pct', 'letter', ...itemCols];
}

/**
 * grades.csv text: one row per student. Component and final percentages
 * are shown with 2 decimals (final_pct is the rounded value the letter uses).
 * Item cells: points, "EX" for excused, empty raw and final 0 for missing.
 */
export function gradesCsv(config: CourseConfig, grades: StudentGrade[]): string {
  const rows: (string | number | null)[][] = [gradesCsvHeader(config)];
  for (const g of grades) {
    const comps = config.components.map((c) => num(g.components.find((x) => x.id === c.id)!.pct));
    const items = g.items.flatMap((i) => (i.status === 'excused' ? ['EX', 'EX', 'EX'] : [i.raw === null ? '' : num(i.raw, 4), num(i.penalty, 4), num(i.final, 4)]));
    rows.push([g.studentId, g.name, g.team, ...comps, g.finalRounded ?? '', g.letter, ...items]);
  }
  return csvText(rows);
}

/**
 * Canvas gradebook import CSV: Student, ID, SIS User ID, SIS Login ID,
 * Section, one "Title (id)" column per counted assignment (final points after
 * the late penalty; EX for excused), and a "Points Possible" row under the header.
 */
export function canvasCsv(config: CourseConfig, grades: StudentGrade[]): string {
  const items = config.assignments.filter((a) => a.counts);
  const rows: (string | number | null)[][] = [
    ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...items.map((a) => `${a.title} (${a.canvas_id ?? a.id})`)],
    ['    Points Possible', '', '', '', '', ...items.map((a) => a.max_points)],
  ];
  for (const g of grades) {
    const cells = items.map((a) => {
      const i = g.items.find((x) => x.assignment === a.id)!;
      return i.status === 'excused' ? 'EX' : num(i.final, 4);
    });
    rows.push([g.name, g.canvasId, g.studentId, g.login, g.section, ...cells]);
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
