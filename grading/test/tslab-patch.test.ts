import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { describe, expect, it } from 'vitest';

// tslab's converter exactly as the Jupyter kernel creates it, file watchers on
// (this file does not load ../src/notebook/executor, which turns them off).
// patches/tslab+1.0.22.patch (applied by `npm install`) lets TypeScript's watch
// program keep its two timers; unpatched, the first watcher event below threw
// "Unexpected pending rebuildTimer" and every later cell of the session failed.
describe("tslab's converter (patched) in a folder whose files change between cells", () => {
  it('keeps converting, and sees a module installed mid-session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tslab-watch-'));
    mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
    const previousCwd = process.cwd();
    process.chdir(dir);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { createConverter } = require('tslab/dist/converter') as typeof import('tslab/dist/converter');
    const converter = createConverter({ isJS: false, isBrowser: false });
    process.chdir(previousCwd);
    try {
      const first = converter.convert('', 'import { late } from "late-pkg";\nconst a = 1;');
      expect(first.diagnostics.map((d) => d.messageText).join('\n')).toMatch(/Cannot find module 'late-pkg'/);
      // A type-root package and an ordinary package appear while the session runs.
      mkdirSync(join(dir, 'node_modules', '@types', 'extra'));
      writeFileSync(join(dir, 'node_modules', '@types', 'extra', 'index.d.ts'), 'declare const extraGlobal: number;\n');
      mkdirSync(join(dir, 'node_modules', 'late-pkg'));
      writeFileSync(join(dir, 'node_modules', 'late-pkg', 'package.json'), '{"name":"late-pkg","version":"1.0.0","main":"index.js","types":"index.d.ts"}\n');
      writeFileSync(join(dir, 'node_modules', 'late-pkg', 'index.d.ts'), 'export declare const late: string;\n');
      // TypeScript's recursive directory watcher on Linux batches child updates for 1 s.
      await new Promise((r) => setTimeout(r, 1_500));
      const second = converter.convert('', 'import { late } from "late-pkg";\nconst b: string = late;');
      expect(second.diagnostics).toEqual([]);
      expect(second.output).toMatch(/late-pkg/);
      const third = converter.convert(second.declOutput ?? '', 'const c = b.length + 1;');
      expect(third.diagnostics).toEqual([]);
    } finally {
      converter.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
