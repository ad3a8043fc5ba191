/**
 * Merged test cells. An instructor test cell split at hidden regions gives
 * several plan cells (visible / hidden / visible chunks) so that the parent
 * knows which tests are hidden. Converting each chunk separately costs a
 * TypeScript compilation per chunk; instead the chunks run as ONE cell with
 * a call of the sandbox's segment hook between them, and the hook reports
 * what separate cells would have reported (sandbox-worker.ts, runMerged).
 *
 * The hook needs no secret: it acts only while the worker runs a merged cell,
 * only in order and never re-entrantly; a call made early by student code
 * (from a function a test cell calls) only moves the student's own tests to
 * the wrong chunk, which the parent sees and marks for review. Merged code
 * reaches the hook through `globalThis`, which instructor cells resolve to
 * the real global even when a student declares a `globalThis` of their own
 * (sandbox-worker.ts, instructorExports); the property itself cannot be
 * replaced.
 */
import type { MergedGroup, PlanCell } from './protocol';

/** The global the merged code calls between chunks. */
export const SEGMENT_HOOK = '__courseKitSegment';

/** The merged cells of a plan: each run of consecutive test chunks of one source cell. */
export function mergeGroups(cells: PlanCell[]): MergedGroup[] {
  const groups: MergedGroup[] = [];
  const call = (k: number) => `;(globalThis as any).${SEGMENT_HOOK}(${k});`;
  let i = 0;
  while (i < cells.length) {
    let j = i;
    while (j + 1 < cells.length && cells[i].kind === 'tests' && cells[j + 1].kind === 'tests' && cells[j + 1].id === cells[i].id) j++;
    if (j > i) {
      let code = call(0) + '\n';
      for (let k = i; k <= j; k++) code += (k > i ? '\n' + call(k - i) + '\n' : '') + cells[k].code;
      groups.push({ first: i, last: j, code });
    }
    i = j + 1;
  }
  return groups;
}
