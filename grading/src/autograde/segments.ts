/**
 * Merged test cells. An instructor test cell split at hidden regions gives
 * several plan cells (visible / hidden / visible chunks) so that the parent
 * knows which tests are hidden. Converting each chunk separately costs a
 * TypeScript compilation per chunk; instead the chunks run as ONE cell with
 * a call of the sandbox's segment hook between them, and the hook reports
 * what separate cells would have reported (sandbox-worker.ts, runMerged).
 *
 * The hook checks a token that only the sandbox knows: the parent writes
 * TOKEN_PLACEHOLDER into the merged code, and the sandbox replaces it in the
 * converted JavaScript (or in the source, when it converts cells itself).
 * So the compiled form is the same for every submission (and cacheable),
 * and the token never travels after the sandbox has started.
 */
import type { MergedGroup, PlanCell } from './protocol';

/** The global the merged code calls between chunks. */
export const SEGMENT_HOOK = '__courseKitSegment';

/** Stands for the sandbox's token in merged code; replaced inside the sandbox. */
export const TOKEN_PLACEHOLDER = 'course-kit-segment-token-placeholder';

/** The merged cells of a plan: each run of consecutive test chunks of one source cell. */
export function mergeGroups(cells: PlanCell[]): MergedGroup[] {
  const groups: MergedGroup[] = [];
  const call = (k: number) => `;(globalThis as any).${SEGMENT_HOOK}(${k}, ${JSON.stringify(TOKEN_PLACEHOLDER)});`;
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
