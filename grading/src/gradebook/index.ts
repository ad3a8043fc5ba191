/**
 * Course gradebook: a SQLite store of raw facts (roster, raw scores,
 * submission times, extensions, config) with late penalties and final grades
 * computed at read time, CSV exports and HTML reports.
 */
export { GradebookError, InputError, type InputProblem } from './errors';
export { loadCourseConfig, latePolicyFor, courseSchema, exportsOf, DEFAULT_EXPORTS, type ExportConfig, type CourseConfig, type AssignmentConfig, type ComponentConfig, type LetterCut } from './config';
export { computeLatePenalty, DEFAULT_LATE_POLICY, type LatePolicy, type LateInput, type LateResult } from './late';
export { parseTime, toStored, showLocal } from './time';
export { openGradebook, type Db, type OpenOptions } from './db';
export { initCourse, getConfig } from './course';
export { importRoster, importScores, importManifest, importExtensions, importResults, setOverride, resolveResult, maxScore, resultSchema, type ImportSummary } from './imports';
export { computeFinalGrades, gradeOf, roundHalfUp, letterFor, itemStatusLabel, type StudentGrade, type ItemGrade, type ComponentGrade, type ItemStatus } from './compute';
export { exportGradesCsv, exportCanvasCsv, gradesCsv, canvasCsv, neutralizeCell } from './export';
export { writeReports, classReportHtml, studentSheetHtml, assignmentStats, type AssignmentStats } from './report';
export { runCourse, type CourseRunOptions, type CourseRunSummary } from './run';
