/**
 * Checks `release` makes of a source notebook beyond its structure (what
 * authors get wrong):
 *
 * - every helper of @course-kit/lib that an instructor cell calls (test,
 *   check, hiddenTests — which release writes in place of hidden tests —
 *   or any other) is imported by a cell before it: a missing import fails
 *   that cell and, in tslab, every later cell of the student;
 * - the reference solution passes every test (run at release exactly as
 *   autograde runs it, see releaseChecked in batch.ts).
 */
import { Assignment, SourceCell } from './notebook';
import { releasedCell } from './release';
import { cellSource } from './notebook';

/** Names a cell binds at top level: imports (named, default, namespace) and declarations. */
export function boundNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/^\s*import\s+(?:type\s+)?([^'"]*?)\s+from\s+['"][^'"]+['"]/gm)) {
    const clause = m[1]!;
    const braces = /\{([^}]*)\}/.exec(clause);
    if (braces) {
      for (const part of braces[1]!.split(',')) {
        const local = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
        if (local) names.add(local);
      }
    }
    const star = /\*\s+as\s+([A-Za-z_$][\w$]*)/.exec(clause);
    if (star) names.add(star[1]!);
    const def = /^([A-Za-z_$][\w$]*)\s*(,|$)/.exec(clause.trim());
    if (def) names.add(def[1]!);
  }
  for (const m of code.matchAll(/^(?:export\s+)?(?:async\s+)?(?:function\s*\*?\s*([A-Za-z_$][\w$]*)|(?:const|let|var|class)\s+([A-Za-z_$][\w$]*))/gm)) {
    names.add((m[1] ?? m[2])!);
  }
  return names;
}

/** Code without comments and string literals (so that a name in a message is not a call). */
function codeOnly(code: string): string {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g, "''");
}

/** Names from `exported` that the code calls (name followed by "(", not a property access). */
export function calledNames(code: string, exported: Set<string>): string[] {
  const found = new Set<string>();
  for (const m of codeOnly(code).matchAll(/(?<![\w$.])([A-Za-z_$][\w$]*)\s*\(/g)) if (exported.has(m[1]!)) found.add(m[1]!);
  return [...found];
}

function where(sc: SourceCell): string {
  return `cell #${sc.index + 1}${sc.meta ? ` (${sc.meta.id})` : ''}`;
}

/**
 * Instructor cells (setup, tests; as written and as released) that call a @course-kit/lib export which no
 * cell before them imports or declares. Returns one message per cell and name.
 */
export function missingImports(a: Assignment, libExports: Set<string>): string[] {
  const problems: string[] = [];
  const known = new Set<string>();
  for (const sc of a.cells) {
    if (sc.cell.cell_type !== 'code') continue;
    const code = sc.code;
    if (sc.meta?.kind === 'setup' || sc.meta?.kind === 'tests' || !sc.meta) {
      const released = sc.meta?.kind === 'tests' ? cellSource(releasedCell(sc)) : '';
      const own = boundNames(code);
      const used = new Set([...calledNames(code, libExports), ...calledNames(released, libExports)]);
      for (const name of used) {
        if (known.has(name) || own.has(name)) continue;
        const how = name === 'hiddenTests' ? ' (release writes it in place of the hidden tests)' : '';
        problems.push(`${a.name}: ${where(sc)} calls ${name}${how}, which no cell before it imports: add it to the setup cell's ` +
          `import { … } from '@course-kit/lib' — without it this cell fails for every student, and in tslab so does every cell after it`);
      }
    }
    for (const n of boundNames(code)) known.add(n);
  }
  return problems;
}

/** The names @course-kit/lib exports (what notebooks import). */
export function courseLibExports(): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return new Set(Object.keys(require('@course-kit/lib') as object));
}
