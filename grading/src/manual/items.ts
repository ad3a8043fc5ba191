/**
 * The manually graded items of a course and their submissions.
 *
 * `manual_grading` in course.yaml lists them; paths are relative to the config file:
 *
 *   manual_grading:
 *     - assignment: seminar          # an assignment of the config
 *       item: summary                # one part of it (a written-answer cell id for notebooks)
 *       manifest: seminar/manifest.csv       # student_id,file,submitted_at
 *       submissions: seminar                 # folder of the files (PDF, text or notebooks)
 *       rubric: [{ id, text, points }, ...]  # for notebooks: default the manual cell's rubric
 *     - assignment: hw1
 *       item: q6-explain
 *       notebook: ../notebooks/hw1-backprop/hw1-backprop.source.ipynb
 *       manifest: hw1/manifest.csv
 *       submissions: hw1/submissions
 *
 * A rubric edited on the grading page is stored in the gradebook (`rubrics`) and wins over the file.
 */
import { existsSync, readFileSync, statSync } from 'fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'path';
import Ajv from 'ajv';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseDocument } from 'yaml';
import { cellSource, courseKitMeta, loadAssignment, parseNotebook, readNotebook, rubricProblems, type RubricCriterion } from '../autograde/notebook';
import { MANUAL_PLACEHOLDER } from '../autograde/release';
import type { CourseConfig } from '../gradebook/config';
import type { Db } from '../gradebook/db';
import { GradebookError, InputProblem, throwIfProblems } from '../gradebook/errors';
import { parseTime } from '../gradebook/time';

export type { RubricCriterion };

export interface ManualItem {
  assignment: string;
  item: string;
  title: string;
  /** summary: a file per student (PDF or text); written: a markdown answer cell in a submitted notebook. */
  kind: 'summary' | 'written';
  maxPoints: number;
  /** The rubric from the config file or the notebook (see `rubricOf` for the one in force). */
  rubric: RubricCriterion[];
  manifest: string;
  submissions: string;
}

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['assignment', 'item', 'manifest', 'submissions'],
  properties: {
    assignment: { type: 'string', minLength: 1 },
    item: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    title: { type: 'string' },
    notebook: { type: 'string', minLength: 1 },
    manifest: { type: 'string', minLength: 1 },
    submissions: { type: 'string', minLength: 1 },
    rubric: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['id', 'text', 'points'], properties: { id: { type: 'string' }, text: { type: 'string' }, points: { type: 'number' } } },
    },
  },
} as const;
const validateEntry = new Ajv({ allErrors: true, strict: false }).compile(entrySchema);

/**
 * Reads `manual_grading` from the config file and checks every entry against the course config
 * (known assignment, rubric points = item points; a summary item's rubric is worth the assignment's
 * max_points; notebook items need a manual cell with that id). Problems name the entry and field.
 */
export function loadManualItems(configFile: string, config: CourseConfig): ManualItem[] {
  const doc = parseDocument(readFileSync(configFile, 'utf8')).toJS() as { manual_grading?: unknown[] };
  const entries = doc.manual_grading ?? [];
  const base = dirname(resolve(configFile));
  const at = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const problems: InputProblem[] = [];
  const items: ManualItem[] = [];
  const seen = new Set<string>();
  entries.forEach((raw, i) => {
    const field = `manual_grading[${i}]`;
    if (!validateEntry(raw)) {
      for (const e of validateEntry.errors ?? []) problems.push({ file: configFile, field: `${field}${e.instancePath.replace(/\//g, '.')}`, message: e.message ?? 'invalid' });
      return;
    }
    const e = raw as { assignment: string; item: string; title?: string; notebook?: string; manifest: string; submissions: string; rubric?: RubricCriterion[] };
    const a = config.assignments.find((x) => x.id === e.assignment);
    if (!a) { problems.push({ file: configFile, field: `${field}.assignment`, message: `unknown assignment "${e.assignment}"` }); return; }
    const key = `${e.assignment}/${e.item}`;
    if (seen.has(key)) problems.push({ file: configFile, field, message: `${key} is listed twice` });
    seen.add(key);
    let maxPoints = a.max_points;
    let rubric = e.rubric;
    let title = e.title ?? a.title;
    if (e.notebook) {
      const path = at(e.notebook);
      if (!existsSync(path)) { problems.push({ file: configFile, field: `${field}.notebook`, message: `${path} does not exist` }); return; }
      const assignment = loadAssignment(readNotebook(path), e.assignment, path);
      const cell = assignment.cells.find((c) => c.meta?.id === e.item);
      if (!cell || cell.meta!.kind !== 'manual') { problems.push({ file: configFile, field: `${field}.item`, message: `${basename(path)} has no manual (written answer) cell "${e.item}"` }); return; }
      maxPoints = cell.meta!.points!;
      rubric ??= cell.meta!.rubric;
      title = e.title ?? `${a.title}: ${cell.meta!.question} (written answer)`;
    }
    const rp = rubricProblems(rubric, maxPoints);
    for (const m of rp) problems.push({ file: configFile, field: `${field}.rubric`, message: m });
    for (const [k, p] of [['manifest', e.manifest], ['submissions', e.submissions]] as const) {
      if (!existsSync(at(p))) problems.push({ file: configFile, field: `${field}.${k}`, message: `${at(p)} does not exist` });
    }
    items.push({ assignment: a.id, item: e.item, title, kind: e.notebook ? 'written' : 'summary', maxPoints, rubric: rubric ?? [], manifest: at(e.manifest), submissions: at(e.submissions) });
  });
  throwIfProblems(problems);
  return items;
}

/** The rubric in force: the one edited on the page (stored in the gradebook), else the configured one. */
export function rubricOf(db: Db, item: ManualItem): { criteria: RubricCriterion[]; edited: boolean } {
  const row = db.prepare('SELECT criteria FROM rubrics WHERE assignment = ? AND item = ?').get(item.assignment, item.item) as { criteria: string } | undefined;
  return row ? { criteria: JSON.parse(row.criteria) as RubricCriterion[], edited: true } : { criteria: item.rubric, edited: false };
}

/** One student's submission of a manual item, as found on disk. */
export interface Submission {
  studentId: string;
  /** The file named by the manifest (absolute), or null. */
  file: string | null;
  /** The file name as the manifest lists it (also when it is missing), or null. */
  listed: string | null;
  /** ISO time with offset, or null when not given. */
  submittedAt: string | null;
  /** How to show it: a PDF (served as a file), text (shown escaped), or nothing. */
  show: 'pdf' | 'text' | 'none';
  /** The text of a text file or of a written answer. */
  text: string | null;
  /** Why nothing can be shown, or what looks wrong (missing file, placeholder answer, ...). */
  problem: string | null;
}

const TEXT_EXT = new Set(['.txt', '.md', '.markdown', '.text']);
const MAX_TEXT = 1_000_000;

interface ManifestLine { file: string | null; submittedAt: string | null; problem: string | null }

/** student_id,file,submitted_at; bad lines are kept as problems for that student (never guessed). */
export function readItemManifest(path: string, zone: string): Map<string, ManifestLine> {
  let records: Record<string, string>[];
  try {
    records = parseCsv(readFileSync(path), { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (e) {
    throw new GradebookError(`${path}: ${(e as Error).message}`);
  }
  const out = new Map<string, ManifestLine>();
  records.forEach((r, i) => {
    const id = r.student_id ?? '';
    if (!id) throw new GradebookError(`${path}:${i + 2}: student_id missing (columns: student_id,file,submitted_at)`);
    if (out.has(id)) { out.set(id, { file: null, submittedAt: null, problem: `listed twice in ${basename(path)} (line ${i + 2}): not shown, fix the manifest` }); return; }
    const file = r.file ? r.file : null;
    let problem: string | null = null;
    if (file && (file.includes('/') || file.includes('\\') || file.startsWith('.'))) problem = `manifest names "${file}", which is not a plain file name`;
    let submittedAt: string | null = null;
    if (r.submitted_at) {
      const t = parseTime(r.submitted_at, zone);
      if ('error' in t) problem = `submitted_at: ${t.error}`;
      else submittedAt = t.time.toISO({ suppressMilliseconds: true });
    }
    out.set(id, { file: problem ? null : file, submittedAt, problem });
  });
  return out;
}

/** The written answer of a submitted notebook: the markdown cell with the item's id. */
function writtenAnswer(file: string, item: string): { text: string | null; problem: string | null } {
  let nb;
  try {
    nb = parseNotebook(readFileSync(file, 'utf8'), basename(file));
  } catch (e) {
    return { text: null, problem: (e as Error).message };
  }
  const cells = nb.cells.filter((c) => courseKitMeta(c)?.id === item);
  if (cells.length === 0) return { text: null, problem: `no answer cell "${item}" in the notebook (deleted, or its metadata removed)` };
  const text = cells.map(cellSource).join('\n\n');
  const note = cells.length > 1 ? `${cells.length} cells carry the id "${item}" (duplicated); all are shown` : null;
  if (text.trim() === '' || text.trim() === MANUAL_PLACEHOLDER) return { text, problem: 'the answer cell still holds the placeholder: no answer written' };
  return { text, problem: note };
}

/** Every roster student's submission of an item, in roster order. */
export function submissionsOf(item: ManualItem, studentIds: string[], zone: string): Submission[] {
  const manifest = readItemManifest(item.manifest, zone);
  return studentIds.map((studentId) => {
    const m = manifest.get(studentId);
    const none: Submission = { studentId, file: null, listed: m?.file ?? null, submittedAt: m?.submittedAt ?? null, show: 'none', text: null, problem: m?.problem ?? 'no submission' };
    if (!m || m.problem || !m.file) return m && !m.problem && !m.file ? { ...none, problem: 'no submission (listed without a file)' } : none;
    const file = join(item.submissions, m.file);
    if (!existsSync(file) || !statSync(file).isFile()) return { ...none, problem: `file missing: the manifest names ${m.file}, which is not in ${basename(item.submissions)}/` };
    const base = { ...none, file, problem: null };
    if (item.kind === 'written') {
      const w = writtenAnswer(file, item.item);
      return { ...base, show: w.text === null ? 'none' : 'text', text: w.text, problem: w.problem };
    }
    const ext = extname(file).toLowerCase();
    if (ext === '.pdf') {
      const head = readFileSync(file).subarray(0, 5).toString('latin1');
      return head === '%PDF-' ? { ...base, show: 'pdf' } : { ...base, problem: `${m.file} is named .pdf but is not a PDF file` };
    }
    if (TEXT_EXT.has(ext)) {
      const buf = readFileSync(file);
      if (buf.length > MAX_TEXT) return { ...base, problem: `${m.file} is larger than 1 MB; open it from the folder` };
      return { ...base, show: 'text', text: buf.toString('utf8') };
    }
    return { ...base, problem: `${m.file}: unsupported file type (PDF or text expected); open it from the folder` };
  });
}

/** Roster ids in order (the gradebook's students). */
export function rosterIds(db: Db): { id: string; name: string }[] {
  return db.prepare('SELECT id, name FROM students ORDER BY id').all() as { id: string; name: string }[];
}
