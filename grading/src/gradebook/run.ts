import { existsSync } from 'fs';
import { join } from 'path';
import { StudentGrade, computeFinalGrades } from './compute';
import { initCourse } from './course';
import { openGradebook } from './db';
import { exportCanvasCsv, exportGradesCsv } from './export';
import { ImportSummary, importExtensions, importManifest, importResults, importRoster, importScores } from './imports';
import { writeReports } from './report';

export interface CourseRunOptions {
  /** Folder with course.yaml, roster.csv, extensions.csv, scores/ (the layout of data/). */
  dataDir: string;
  /** Output folder: gradebook.sqlite, grades/, report/. */
  buildDir: string;
  /** Autograder result folders per assignment, e.g. { hw1: 'build/hw1/results' }. Missing folders are skipped. */
  results?: Record<string, string>;
}

export interface CourseRunSummary {
  db: string;
  imports: ImportSummary[];
  grades: StudentGrade[];
  files: { grades: string; canvas: string; classReport: string; studentSheets: number };
}

/**
 * The gradebook half of the pipeline on a data folder laid out like data/:
 * config → roster → extensions → submission manifests (<assignment>/manifest.csv)
 * → autograder results → manual scores (scores/<assignment>.csv,
 * scores/<assignment>-teams.csv, scores/<assignment>-adjustments.csv)
 * → grades.csv, Canvas CSV and reports. Rerunning it is a no-op for the database.
 */
export function runCourse(opts: CourseRunOptions): CourseRunSummary {
  const dbPath = join(opts.buildDir, 'gradebook.sqlite');
  const db = openGradebook(dbPath);
  try {
    const { config } = initCourse(db, join(opts.dataDir, 'course.yaml'));
    const imports: ImportSummary[] = [importRoster(db, join(opts.dataDir, 'roster.csv'))];
    const ext = join(opts.dataDir, 'extensions.csv');
    if (existsSync(ext)) imports.push(importExtensions(db, ext));
    for (const a of config.assignments) {
      const manifest = join(opts.dataDir, a.id, 'manifest.csv');
      if (existsSync(manifest)) imports.push(importManifest(db, manifest, a.id));
      const results = opts.results?.[a.id];
      if (results && existsSync(results)) imports.push(importResults(db, results));
      for (const suffix of ['', '-teams', '-adjustments']) {
        const f = join(opts.dataDir, 'scores', `${a.id}${suffix}.csv`);
        if (existsSync(f)) imports.push(importScores(db, f, a.id));
      }
    }
    const grades = computeFinalGrades(db);
    const out = join(opts.buildDir, 'grades');
    const files = {
      grades: exportGradesCsv(db, join(out, 'grades.csv')),
      canvas: exportCanvasCsv(db, join(out, 'canvas-import.csv')),
    };
    const reports = writeReports(db, join(opts.buildDir, 'report'));
    return { db: dbPath, imports, grades, files: { ...files, classReport: reports.classReport, studentSheets: reports.studentSheets.length } };
  } finally {
    db.close();
  }
}
