/**
 * Errors of the gradebook. Every message names the file (and line or field
 * when known) so an instructor can fix the input without reading the code.
 */
export class GradebookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradebookError';
  }
}

/** One problem in an input file: where it is and what is wrong. */
export interface InputProblem {
  file: string;
  line?: number;
  field?: string;
  message: string;
}

export function formatProblem(p: InputProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/**
 * Bad input (config, CSV, JSON). Carries every problem found so one run
 * reports them all; the database is never touched when this is thrown.
 */
export class InputError extends GradebookError {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[]) {
    const shown = problems.slice(0, 20).map(formatProblem);
    if (problems.length > 20) shown.push(`... and ${problems.length - 20} more problems`);
    super(`invalid input (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${shown.join('\n  ')}`);
    this.name = 'InputError';
    this.problems = problems;
  }
}

/** Throws an InputError if any problems were collected. */
export function throwIfProblems(problems: InputProblem[]): void {
  if (problems.length > 0) throw new InputError(problems);
}
