/**
 * The kit's Jupyter kernel (tslab + its zeromq binding) starts under the
 * Node.js that runs the tests, imports @course-kit/lib, and runs its
 * WebAssembly kernels and a training step there. CI runs this file under each
 * supported Node line (see .ci/node-lines), so "the kernel starts on 22/24" is
 * checked, not assumed.
 *
 * Needs `jupyter nbconvert`; skipped with a note when it is missing, unless
 * COURSE_KIT_REQUIRE_E2E=1 (CI), which makes the skip a failure.
 */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { NOTEBOOK_KERNELSPEC } from '../src/notebook/kernelspec';
import { hasJupyter, runWithJupyter } from '../src/notebook/runner';

const required = process.env.COURSE_KIT_REQUIRE_E2E === '1';
const available = hasJupyter('nbconvert');
const root = resolve(__dirname, '../..');
// Under the project so that the kernel resolves @course-kit/lib from node_modules.
const dir = join(root, 'build', `kernel-node-test-${process.pid}`);

function code(source: string) {
  return { cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null };
}

function outputText(cell: { outputs?: { text?: string | string[]; data?: Record<string, unknown> }[] }): string {
  return (cell.outputs ?? [])
    .map((o) => {
      const t = o.text ?? o.data?.['text/plain'] ?? '';
      return Array.isArray(t) ? t.join('') : String(t);
    })
    .join('');
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(available || required)("the kit's Jupyter kernel under this Node.js", () => {
  it('starts, reports the same Node.js version, and trains with the wasm kernels', () => {
    if (!available) throw new Error('jupyter nbconvert is not installed (COURSE_KIT_REQUIRE_E2E=1): see .ci/run');
    mkdirSync(dir, { recursive: true });
    const nb = {
      cells: [
        code('console.log(`node ${process.version}`);'),
        code(
          [
            "import { createNetwork, train, xor, setGemmBackend, gemmBackendInUse } from '@course-kit/lib';",
            "setGemmBackend('wasm'); // every product through WebAssembly, however small",
            "const net = createNetwork({ inputs: 2, layers: [{ size: 3, unit: 'tanh' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 3 });",
            'const h = train(net, xor(), { epochs: 5, batchSize: 4, learningRate: 0.5, seed: 1 });',
            'console.log(`kernels ${gemmBackendInUse()} epochs ${h.length} finite ${h.every((e) => Number.isFinite(e.loss))}`);',
          ].join('\n'),
        ),
      ],
      metadata: { kernelspec: NOTEBOOK_KERNELSPEC, language_info: { name: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const file = join(dir, 'kernel-node.ipynb');
    writeFileSync(file, JSON.stringify(nb));
    const result = runWithJupyter(file, join(dir, 'out'), { cellTimeoutMs: 120_000 });
    expect(result.failures).toEqual([]);
    const cells = result.notebook.cells as Parameters<typeof outputText>[0][];
    expect(outputText(cells[0]).trim()).toBe(`node ${process.version}`);
    expect(outputText(cells[1])).toMatch(/kernels wasm epochs 5 finite true/);
  });
});
