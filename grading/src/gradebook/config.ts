import { readFileSync } from 'fs';
import Ajv, { ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isScalar, Node } from 'yaml';
import { DEFAULT_LATE_POLICY, LatePolicy } from './late';
import { InputProblem, throwIfProblems } from './errors';
import { isValidZone, parseTime } from './time';

/** One graded (or recorded) item of the course. */
export interface AssignmentConfig {
  id: string;
  title: string;
  component: string;
  max_points: number;
  /** Local wall-clock due time in the course zone ("2027-04-16T23:59"). */
  due: string;
  /** False for recorded-only milestones (e.g. the topic proposal). */
  counts: boolean;
  /** True: one score per team, applied to every member (+ individual adjustment). */
  team: boolean;
  /** Overrides of the course late policy for this item. */
  late_policy?: Partial<LatePolicy> & { apply?: boolean };
  /** Canvas assignment id for the "Title (id)" column; defaults to `id`. */
  canvas_id?: string;
  /** Extra credit: points a score may reach above max_points (default 0: scores are capped at max_points, with a warning). */
  extra_credit?: number;
  /** Autograded homework: its source notebook, relative to the config file (default: found by assignment id, see the pipeline). */
  source?: string;
  /**
   * Submissions known to crash or time out on purpose (the sample course's endless loop): the
   * pipeline still reports and flags them, but they do not make it exit non-zero. A real course
   * leaves this out, so that every failure stops the run for the instructor to look at.
   */
  expected_failures?: { student: string; status: 'crash' | 'timeout' }[];
}

/** What the exports write (see the gradebook README: Canvas totals). */
export interface ExportConfig {
  /** Missing work in the Canvas CSV: 0 (counts in Canvas's totals) or blank (Canvas ignores it). */
  canvas_missing: 'zero' | 'blank';
  /**
   * The kit's final grade in the Canvas CSV: an "Override Score" column (Canvas's Final Grade Override),
   * an extra 100-point assignment column "Final grade (course kit)", or nothing.
   */
  canvas_final_grade: 'override-score' | 'assignment' | 'none';
}

export const DEFAULT_EXPORTS: ExportConfig = { canvas_missing: 'zero', canvas_final_grade: 'override-score' };

export interface ComponentConfig {
  id: string;
  title: string;
  /** Percent of the final grade; all weights sum to 100. */
  weight: number;
}

export interface LetterCut {
  letter: string;
  /** Inclusive lower bound of the rounded final percentage. */
  min: number;
}

/** A dated course event (topic proposal, teams formed, report due): data for notebooks and reports, never graded. */
export interface MilestoneConfig {
  id: string;
  title: string;
  /** Local calendar date in the course zone, "2027-05-03". */
  date: string;
  /** True when the syllabus gives the date only roughly ("about June 10"). */
  approximate?: boolean;
  /** The assignment this milestone belongs to, if any (e.g. the proposal or the report). */
  assignment?: string;
  note?: string;
}

export interface CourseConfig {
  course: { id: string; title: string; term: string; time_zone: string };
  components: ComponentConfig[];
  late_policy: LatePolicy & { applies_to: string[] };
  assignments: AssignmentConfig[];
  letters: LetterCut[];
  /** The final percentage is rounded half-up to `decimals`, then compared with the cut-offs. */
  rounding: { decimals: number };
  /** Export choices (absent in configs stored by older versions: DEFAULT_EXPORTS). */
  exports?: ExportConfig;
  /** Course milestones in date order as written (absent in configs stored by older versions). */
  milestones?: MilestoneConfig[];
}

/** The export choices of a config, with defaults. */
export function exportsOf(config: CourseConfig): ExportConfig {
  return { ...DEFAULT_EXPORTS, ...(config.exports ?? {}) };
}

const latePolicyProps = {
  percent: { type: 'number', minimum: 0, maximum: 100 },
  of: { enum: ['points-possible', 'points-earned'] },
  per: { enum: ['day', 'hour'] },
  day_length: { enum: ['calendar', 'elapsed'] },
  grace_minutes: { type: 'number', minimum: 0 },
  max_late_days: { type: ['number', 'null'], minimum: 0 },
};

const idPattern = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';

/** JSON schema of course.yaml (checked with ajv; semantic checks follow). */
export const courseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['course', 'components', 'assignments', 'letters'],
  properties: {
    course: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'title', 'time_zone'],
      properties: {
        id: { type: 'string', pattern: idPattern },
        title: { type: 'string', minLength: 1 },
        term: { type: 'string' },
        time_zone: { type: 'string', minLength: 1 },
      },
    },
    components: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'weight'],
        properties: {
          id: { type: 'string', pattern: idPattern },
          title: { type: 'string' },
          weight: { type: 'number', minimum: 0, maximum: 100 },
        },
      },
    },
    late_policy: {
      type: 'object',
      additionalProperties: false,
      properties: { ...latePolicyProps, applies_to: { type: 'array', items: { type: 'string' } } },
    },
    assignments: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'component', 'max_points', 'due'],
        properties: {
          id: { type: 'string', pattern: idPattern },
          title: { type: 'string' },
          component: { type: 'string' },
          max_points: { type: 'number', exclusiveMinimum: 0 },
          due: { type: 'string' },
          counts: { type: 'boolean' },
          team: { type: 'boolean' },
          canvas_id: { type: ['string', 'number'] },
          extra_credit: { type: 'number', minimum: 0 },
          source: { type: 'string', minLength: 1 },
          expected_failures: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['student', 'status'],
              properties: { student: { type: 'string', minLength: 1 }, status: { enum: ['crash', 'timeout'] } },
            },
          },
          late_policy: {
            type: 'object',
            additionalProperties: false,
            properties: { ...latePolicyProps, apply: { type: 'boolean' } },
          },
        },
      },
    },
    letters: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['letter', 'min'],
        properties: { letter: { type: 'string', minLength: 1 }, min: { type: 'number', minimum: 0, maximum: 100 } },
      },
    },
    rounding: {
      type: 'object',
      additionalProperties: false,
      properties: { decimals: { type: 'integer', minimum: 0, maximum: 6 } },
    },
    milestones: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'title', 'date'],
        properties: {
          id: { type: 'string', pattern: idPattern },
          title: { type: 'string', minLength: 1 },
          date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
          approximate: { type: 'boolean' },
          assignment: { type: 'string' },
          note: { type: 'string' },
        },
      },
    },
    // Items graded on the manual grading page, with their rubrics; checked in detail by manual/config.ts.
    manual_grading: { type: 'array', items: { type: 'object' } },
    exports: {
      type: 'object',
      additionalProperties: false,
      properties: {
        canvas_missing: { enum: ['zero', 'blank'] },
        canvas_final_grade: { enum: ['override-score', 'assignment', 'none'] },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateCourse = ajv.compile(courseSchema);

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function fieldName(path: (string | number)[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), '') || '(top level)';
}

/** Line of the YAML node at `path` (the nearest existing ancestor). */
function lineOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: (string | number)[], key?: string): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
    if (node && node.range) {
      if (key && n === path.length && isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
        if (pair && isScalar(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]).line;
      }
      return lc.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

function ajvMessage(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required') return `missing required field "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return e.message ?? 'invalid';
}

/**
 * Reads and validates a course config. Problems name the file, the line and
 * the field (e.g. `course.yaml:23: assignments[0].max_points: must be > 0`).
 * Fills defaults (late policy, counts, team, rounding) so the result is complete.
 */
export function loadCourseConfig(file: string, text: string = readFileSync(file, 'utf8')): CourseConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const problems: InputProblem[] = [];
  for (const e of doc.errors) {
    problems.push({ file, line: lc.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split('\n')[0]}` });
  }
  throwIfProblems(problems);
  const raw = doc.toJS() as unknown;
  if (!validateCourse(raw)) {
    for (const e of validateCourse.errors ?? []) {
      const path = pathOf(e.instancePath);
      const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
      const fieldPath = extra ? [...path, extra] : e.keyword === 'required' ? [...path, (e.params as { missingProperty: string }).missingProperty] : path;
      problems.push({ file, line: lineOf(doc, lc, path, extra), field: fieldName(fieldPath), message: ajvMessage(e) });
    }
    throwIfProblems(problems);
  }
  const c = raw as Record<string, any>;
  const at = (path: (string | number)[]) => lineOf(doc, lc, path);
  const zone: string = c.course.time_zone;
  if (!isValidZone(zone)) problems.push({ file, line: at(['course', 'time_zone']), field: 'course.time_zone', message: `"${zone}" is not an IANA time zone (e.g. America/Los_Angeles)` });

  const componentIds = new Set<string>();
  c.components.forEach((comp: ComponentConfig, i: number) => {
    if (componentIds.has(comp.id)) problems.push({ file, line: at(['components', i, 'id']), field: `components[${i}].id`, message: `duplicate component id "${comp.id}"` });
    componentIds.add(comp.id);
  });
  const total = c.components.reduce((s: number, comp: ComponentConfig) => s + comp.weight, 0);
  if (Math.abs(total - 100) > 1e-9) {
    problems.push({ file, line: at(['components']), field: 'components[].weight', message: `weights sum to ${total}, they must sum to 100` });
  }
  const assignmentIds = new Set<string>();
  c.assignments.forEach((a: AssignmentConfig, i: number) => {
    if (assignmentIds.has(a.id)) problems.push({ file, line: at(['assignments', i, 'id']), field: `assignments[${i}].id`, message: `duplicate assignment id "${a.id}"` });
    assignmentIds.add(a.id);
    if (!componentIds.has(a.component)) problems.push({ file, line: at(['assignments', i, 'component']), field: `assignments[${i}].component`, message: `unknown component "${a.component}" (known: ${[...componentIds].join(', ')})` });
    if (isValidZone(zone)) {
      const t = parseTime(a.due, zone);
      if ('error' in t) problems.push({ file, line: at(['assignments', i, 'due']), field: `assignments[${i}].due`, message: t.error });
    }
  });
  for (const comp of c.late_policy?.applies_to ?? []) {
    if (!componentIds.has(comp)) problems.push({ file, line: at(['late_policy', 'applies_to']), field: 'late_policy.applies_to', message: `unknown component "${comp}"` });
  }
  const milestoneIds = new Set<string>();
  (c.milestones ?? []).forEach((m: MilestoneConfig, i: number) => {
    if (milestoneIds.has(m.id)) problems.push({ file, line: at(['milestones', i, 'id']), field: `milestones[${i}].id`, message: `duplicate milestone id "${m.id}"` });
    milestoneIds.add(m.id);
    const [y, mo, d] = m.date.split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, mo - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) {
      problems.push({ file, line: at(['milestones', i, 'date']), field: `milestones[${i}].date`, message: `"${m.date}" is not a calendar date (YYYY-MM-DD)` });
    }
    if (m.assignment !== undefined && !assignmentIds.has(m.assignment)) {
      problems.push({ file, line: at(['milestones', i, 'assignment']), field: `milestones[${i}].assignment`, message: `unknown assignment "${m.assignment}" (known: ${[...assignmentIds].join(', ')})` });
    }
  });
  const letters: LetterCut[] = c.letters;
  for (let i = 1; i < letters.length; i++) {
    if (letters[i]!.min >= letters[i - 1]!.min) problems.push({ file, line: at(['letters', i, 'min']), field: `letters[${i}].min`, message: 'cut-offs must be listed from the highest to the lowest, strictly decreasing' });
  }
  if (letters.length > 0 && letters[letters.length - 1]!.min !== 0) {
    problems.push({ file, line: at(['letters', letters.length - 1, 'min']), field: `letters[${letters.length - 1}].min`, message: 'the lowest letter must start at 0 so every percentage has a letter' });
  }
  throwIfProblems(problems);

  return {
    course: { id: c.course.id, title: c.course.title, term: c.course.term ?? '', time_zone: zone },
    components: c.components.map((comp: ComponentConfig) => ({ id: comp.id, title: comp.title ?? comp.id, weight: comp.weight })),
    late_policy: { ...DEFAULT_LATE_POLICY, applies_to: ['homework'], ...(c.late_policy ?? {}) },
    assignments: c.assignments.map((a: AssignmentConfig) => ({
      ...a,
      title: a.title ?? a.id,
      counts: a.counts ?? true,
      team: a.team ?? false,
      canvas_id: a.canvas_id === undefined ? undefined : String(a.canvas_id),
    })),
    letters,
    rounding: { decimals: c.rounding?.decimals ?? 2 },
    exports: { ...DEFAULT_EXPORTS, ...(c.exports ?? {}) },
    milestones: (c.milestones ?? []).map((m: MilestoneConfig) => ({ ...m })),
  };
}

/** The late policy in force for one assignment, or null if none applies. */
export function latePolicyFor(config: CourseConfig, a: AssignmentConfig): LatePolicy | null {
  const { applies_to, ...base } = config.late_policy;
  const override = a.late_policy ?? {};
  const applies = override.apply ?? applies_to.includes(a.component);
  if (!applies) return null;
  const { apply: _ignored, ...rest } = override;
  void _ignored;
  return { ...base, ...rest };
}
