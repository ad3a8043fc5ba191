/** Shared helpers for the autograder tests: hw1 paths and submissions built from the released notebook. */
import { execSync } from 'child_process';
import { existsSync } from 'fs';
import { join, resolve } from 'path';
import { loadAssignment, readNotebook, Notebook, cellSource, toSourceLines } from '../src/autograde/notebook';
import { releaseAssignment } from '../src/autograde/release';

export const ROOT = resolve(__dirname, '..', '..');
export const HW1_SOURCE = join(ROOT, 'notebooks', 'hw1-backprop', 'hw1-backprop.source.ipynb');

/** The sandbox runs the compiled worker; build lib and grading once if it is missing. */
export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'grading', 'dist', 'autograde', 'sandbox-worker.js')) || !existsSync(join(ROOT, 'lib', 'dist', 'check.js'))) {
    execSync('npm run build -w lib && npm run build -w grading', { cwd: ROOT, stdio: 'ignore' });
  }
}

export function hw1() {
  const assignment = loadAssignment(readNotebook(HW1_SOURCE), 'hw1', HW1_SOURCE);
  const released = releaseAssignment(assignment);
  const reference = new Map(
    assignment.cells
      .filter((c) => c.meta?.kind === 'solution')
      .map((c) => [c.meta!.id, c.code.split('\n').filter((l) => !/\/\/ (BEGIN|END) SOLUTION/.test(l)).join('\n')]),
  );
  /** The released notebook with the reference solutions typed in, then edited per solution id. */
  const submission = (edits: Record<string, (code: string) => string> = {}, damage?: (nb: Notebook) => void): Notebook => {
    const nb = structuredClone(released);
    for (const cell of nb.cells) {
      const meta = cell.metadata.course_kit as { id: string; kind: string } | undefined;
      if (meta?.kind !== 'solution') continue;
      const code = edits[meta.id] ? edits[meta.id](reference.get(meta.id)!) : reference.get(meta.id)!;
      cell.source = toSourceLines(code);
    }
    damage?.(nb);
    return nb;
  };
  return { assignment, released, reference, submission, cellSource };
}
