import { readFileSync } from 'fs';
import { resolve } from 'path';
import { describe, expect, it } from 'vitest';
import { nonSeparable2d, separable2d, xor } from '../src/data';
import { RELATIVE_ERROR_TINY } from '../src/gradcheck';
import {
  booleanFunctionName,
  LECTURE_PASS_COMPARISON,
  lecturePassComparison,
  logLogSlope,
  numericJacobian,
  permuteColumns,
  randomPermutation,
  readableAxes,
  softmaxJacobianCheck,
  truthTables,
} from '../src/lecture';
import { fromRows, zeros } from '../src/matrix';
import { createNetwork } from '../src/network';
import { findWeightCycle, perceptron } from '../src/perceptron';
import { backpropFullBatch, passesToReach, perturbAllWeights, perturbOneWeight, teacherTask } from '../src/perturb';
import { curves } from '../src/plot';
import { derivation, unitDerivations } from '../src/symbolic';
import { evaluateNetwork, train } from '../src/train';
import { softmaxJacobian, softmaxOf } from '../src/units';

/**
 * Each claim the Lecture 5 notebook makes about its own results, checked here with
 * the notebook's own settings, so that a change in the library that makes the text
 * false fails a test (the notebook itself runs in notebooks-execute.test.ts).
 */
const notebook = JSON.parse(readFileSync(resolve(__dirname, '../../notebooks/05-backpropagation.ipynb'), 'utf8')) as {
  cells: { cell_type: string; source: string[] }[];
};
const markdown = notebook.cells.filter((c) => c.cell_type === 'markdown').map((c) => c.source.join(''));
const codeCells = notebook.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
const tex = (name: string) => name.replace(/x([12])/g, 'x_$1').replace(/∨/g, '\\lor').replace(/∧/g, '\\land').replace(/¬/g, '\\lnot ');

describe('section 1: the XOR net’s hidden units (seed 3, as in the notebook)', () => {
  const hidden = createNetwork({ inputs: 2, layers: [{ size: 2, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 3 });
  train(hidden, xor(), { epochs: 2000, batchSize: 4, learningRate: 0.5, momentum: 0.9, seed: 1, trainMetrics: 'full' });
  const units = truthTables(hidden, 0);

  it('learn x1 ∨ ¬x2 and x1 ∧ ¬x2 (not OR and NAND), and the text says so', () => {
    expect(units.map((u) => u.name)).toEqual(['x1 ∨ ¬x2', 'x1 ∧ ¬x2']);
    const text = markdown.find((m) => m.includes('hidden units did **not** learn'))!;
    for (const u of units) expect(text).toContain(`$${tex(u.name).trim()}$`);
    // The notebook's code cell still uses these settings.
    expect(codeCells.some((c) => c.includes("seed: 3 });") && c.includes('epochs: 2000, batchSize: 4, learningRate: 0.5, momentum: 0.9, seed: 1'))).toBe(true);
  });

  it('the output unit says whether the two hidden units agree, which is XOR', () => {
    const out = truthTables(hidden, 1)[0]!;
    expect(out.name).toBe('x1 ⊕ x2 (XOR)');
    units[0]!.bits.forEach((b, c) => expect(out.bits[c]).toBe(b === units[1]!.bits[c] ? 1 : 0));
  });

  it('booleanFunctionName names all 16 functions of two inputs', () => {
    const names = Array.from({ length: 16 }, (_, k) => booleanFunctionName([(k >> 3) & 1, (k >> 2) & 1, (k >> 1) & 1, k & 1]));
    expect(new Set(names).size).toBe(16);
    expect(booleanFunctionName([0, 1, 1, 1])).toBe('x1 ∨ x2 (OR)');
    expect(booleanFunctionName([1, 1, 1, 0])).toBe('¬(x1 ∧ x2) (NAND)');
    expect(booleanFunctionName([0, 0, 1, 0])).toBe('x1 ∧ ¬x2');
    expect(() => booleanFunctionName([1, 0, 1])).toThrow(/four/);
  });
});

describe('section 2: forward passes to a fixed error (the notebook’s comparison)', () => {
  const rows = lecturePassComparison();
  const bp = rows.map((r) => r.backprop.passes!);
  const one = rows.map((r) => r.perturbOne.passes!);
  const all = rows.map((r) => r.perturbAll.passes!);

  it('every method reaches the target at every size', () => {
    expect(rows.map((r) => r.weights)).toEqual([17, 41, 137, 521]);
    for (const r of rows) for (const m of [r.backprop, r.perturbOne, r.perturbAll]) expect(m.passes).not.toBeNull();
  });

  it('ordering: backprop < perturb all < perturb one at every size', () => {
    rows.forEach((_, k) => {
      expect(bp[k]!).toBeLessThan(all[k]!);
      expect(all[k]!).toBeLessThan(one[k]!);
    });
  });

  it('backprop’s count hardly depends on N; perturb one grows about like N; perturb all grows, less steeply, and its lead grows', () => {
    expect(Math.max(...bp) / Math.min(...bp)).toBeLessThan(2);
    for (let k = 1; k < one.length; k++) expect(one[k]!).toBeGreaterThan(one[k - 1]!);
    const Ns = rows.map((r) => r.weights);
    expect(logLogSlope(Ns, one)).toBeGreaterThan(0.7);
    expect(logLogSlope(Ns, all)).toBeGreaterThan(0.3);
    expect(logLogSlope(Ns, all)).toBeLessThan(logLogSlope(Ns, one));
    expect(all[all.length - 1]! / all[0]!).toBeGreaterThan(5);
    expect(one[one.length - 1]! / all[all.length - 1]!).toBeGreaterThan(one[0]! / all[0]!);
    // Far behind backprop at the largest net even counting a backward pass as two forward passes.
    expect(all[all.length - 1]! / (3 * bp[bp.length - 1]!)).toBeGreaterThan(10);
  });

  it('the plotted runs start at pass 1 from the same error and end at the target', () => {
    const r = rows[2]!;
    const starts = [r.backprop, r.perturbOne, r.perturbAll].map((m) => m.history[0]!);
    for (const s of starts) {
      expect(s.forwardPasses).toBe(1);
      expect(s.error).toBe(starts[0]!.error);
    }
    for (const m of [r.backprop, r.perturbOne, r.perturbAll]) {
      expect(m.history[m.history.length - 1]!.error).toBeLessThanOrEqual(LECTURE_PASS_COMPARISON.targetError);
    }
    // Backprop's best step makes the error rise before it falls (the text says so).
    expect(Math.max(...r.backprop.history.map((h) => h.error))).toBeGreaterThan(r.backprop.history[0]!.error);
    expect(r.backprop.setting).toBe(10);
  });
});

describe('perturbation and full-batch backprop records', () => {
  const data = teacherTask(5, 30, 2);
  const make = () => createNetwork({ inputs: 5, layers: [{ size: 3, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 1 });

  it('backpropFullBatch records the error at the current weights, one forward pass per step, no momentum', () => {
    const h = backpropFullBatch(make(), data, { passes: 5, learningRate: 0.7 });
    expect(h.map((r) => r.forwardPasses)).toEqual([1, 2, 3, 4, 5]);
    expect(h.map((r) => r.backwardPasses)).toEqual([0, 1, 2, 3, 4]);
    const net = make();
    for (let step = 0; step < 5; step++) {
      expect(net.loss(data.inputs, data.targets)).toBe(h[step]!.error);
      net.backward(data.targets);
      for (const p of net.params()) for (let k = 0; k < p.values.length; k++) p.values[k] = p.values[k]! - 0.7 * p.grads[k]!;
    }
  });

  it('targetError stops every procedure at the first pass that reaches it', () => {
    for (const h of [
      backpropFullBatch(make(), data, { passes: 5000, learningRate: 1, targetError: 0.4 }),
      perturbOneWeight(make(), data, { passes: 5000, stepSize: 1, targetError: 0.4 }),
      perturbAllWeights(make(), data, { passes: 5000, learningRate: 1, delta: 1e-3, targetError: 0.4 }),
    ]) {
      expect(h[h.length - 1]!.error).toBeLessThanOrEqual(0.4);
      expect(h.slice(0, -1).every((r) => r.error > 0.4)).toBe(true);
      expect(passesToReach(h, 0.4)).toBe(h[h.length - 1]!.forwardPasses);
    }
  });
});

describe('section 9: the perceptron on XOR cycles with a fixed case order, not with a random one', () => {
  const d = xor();

  it('fixed order: the weights return to (−1, 0, 0) at the end of every pass from pass 2 on, 4 mistakes a pass', () => {
    const r = perceptron(d.inputs, d.labels, { maxPasses: 50 });
    expect(r.cycle).toMatchObject({ from: 2, to: 3, period: 1 });
    expect(Array.from(r.cycle!.weights)).toEqual([-1, 0, 0]);
    for (let p = 1; p < 50; p++) expect(Array.from(r.weightsPerPass[p]!)).toEqual([-1, 0, 0]);
    expect(r.mistakesPerPass.slice(2).every((m) => m === 4)).toBe(true);
    expect(r.message).toMatch(/repeats itself every 1 pass/);
  });

  it('random order: equal weights at two pass boundaries, different passes after them, and no cycle reported', () => {
    const r = perceptron(d.inputs, d.labels, { maxPasses: 8, seed: 1 });
    expect(r.cycle).toBeNull();
    const repeat = findWeightCycle(r.weightsPerPass)!;
    expect(repeat).not.toBeNull();
    expect(Array.from(r.weightsPerPass[repeat.from]!)).not.toEqual(Array.from(r.weightsPerPass[repeat.to]!));
  });

  it('no cycle when it converges; the start counts as pass 0', () => {
    const s = separable2d(40, 3);
    expect(perceptron(s.inputs, s.labels, { maxPasses: 50 }).cycle).toBeNull();
    expect(findWeightCycle([[1, 0], [0, 0]], [0, 0])).toMatchObject({ from: 0, to: 2, period: 2 });
    expect(findWeightCycle([[1], [2], [3]])).toBeNull();
  });
});

describe('section 11: the softmax Jacobian, checked in a way that can fail', () => {
  const x = fromRows([[0.3, -1.2, 2.0, 0.1], [5, 5, -3, 0], [-0.5, 0.5, 0.2, 0.1]]);
  const t = fromRows([[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);

  it('y_i(δ_ij − y_j) matches finite differences; Jᵀ·(−t/y) equals y − t', () => {
    const c = softmaxJacobianCheck(x, t);
    expect(c.jacobianMaxRelativeError).toBeLessThan(1e-8);
    expect(c.chainRuleMaxDifference).toBeLessThan(1e-12);
    const J = softmaxJacobian(softmaxOf([0.3, -1.2, 2.0, 0.1]));
    for (let j = 0; j < 4; j++) expect(Math.abs(J.reduce((s, row) => s + row[j]!, 0))).toBeLessThan(1e-15); // Σ_i y_i = 1
  });

  it('a wrong Jacobian, y_i(δ_ij − y_i), is caught by the finite differences', () => {
    const xr = [0.3, -1.2, 2.0, 0.1];
    const y = softmaxOf(xr);
    const wrong = y.map((yi, i) => y.map((_, j) => yi * ((i === j ? 1 : 0) - yi)));
    const numeric = numericJacobian(softmaxOf, xr);
    const worst = Math.max(...wrong.flatMap((row, i) => row.map((v, j) => Math.abs(v - numeric[i]![j]!))));
    expect(worst).toBeGreaterThan(1e-2);
  });
});

describe('section 6: the unit derivatives are proved, not only sampled', () => {
  it('logistic by simplify, tanh by rewriting through u = e^x and rationalize', () => {
    const [logistic, tanh] = unitDerivations();
    expect(logistic!.proof).toBe('simplify');
    expect(tanh!.proof).toBe('rational function of e^x');
    expect(tanh!.provedSymbolically).toBe(true);
  });

  it('a wrong closed form is not proved', () => {
    const wrong = derivation({ name: 'wrong', description: '', symbol: 'y', of: 'tanh(x)', variable: 'x', definitions: { y: 'tanh(x)' }, closedForm: '1 - y', samples: [{ x: 0.5 }] });
    expect(wrong.provedSymbolically).toBe(false);
    expect(wrong.proof).toBeNull();
    expect(wrong.maxDifference).toBeGreaterThan(0.1);
  });
});

describe('one index convention: i below j below k (section 5)', () => {
  it('no weight is written with the upper unit first (w_ji, w_kj, w_ki), except Bishop’s w_ji^(l) in the comparison', () => {
    const reversed = markdown.flatMap((m) => m.match(/w_\{(?:ji|kj|ki)\}(?!\^)/g) ?? []);
    expect(reversed).toEqual([]);
    // Section 3 names the layers the way section 5 does.
    expect(markdown.find((m) => m.startsWith('## 3.'))).toContain(String.raw`\frac{\partial E}{\partial w_{ij}} = y_i\; y_j(1-y_j) \sum_k w_{jk}`);
  });
});

describe('section 7: the gradient check as the text describes it', () => {
  it('text and code share the relative-error definition and the defaults', () => {
    const text = markdown.find((m) => m.startsWith('### Gradient check'))!;
    expect(RELATIVE_ERROR_TINY).toBe(1e-8);
    expect(text).toContain(String.raw`\max\big(|g_\text{analytic}|,\ |g_\text{numeric}|,\ 10^{-8}\big)`);
    expect(text).toContain(String.raw`\frac{4\,D(\varepsilon/2) - D(\varepsilon)}{3}, \qquad \varepsilon = 10^{-3}`);
    expect(text).toContain('four forward passes per parameter');
  });
});

describe('section 12: training curves and shuffled pixels', () => {
  it("trainMetrics 'full' records the training loss at the weights after the epoch, like the test loss", () => {
    const data = nonSeparable2d(60, 2);
    const net = createNetwork({ inputs: 2, layers: [{ size: 4, unit: 'logistic' }, { size: 1, unit: 'logistic' }], loss: 'cross-entropy', seed: 1 });
    const h = train(net, data, { epochs: 2, batchSize: 7, learningRate: 0.5, seed: 1, trainMetrics: 'full', test: data });
    expect(h[1]!.loss).toBeCloseTo(evaluateNetwork(net, data).loss, 12);
    expect(h[1]!.loss).toBeCloseTo(h[1]!.testLoss!, 12);
  });

  it('a dense net trained on shuffled pixels, weights shuffled alike, computes the same function', () => {
    const perm = randomPermutation(12, 7);
    expect(Array.from(perm).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, k) => k));
    const X = zeros(40, 12);
    X.data.forEach((_, k) => (X.data[k] = Math.sin(k * 1.7)));
    const T = zeros(40, 3);
    for (let r = 0; r < 40; r++) T.data[r * 3 + (r % 3)] = 1;
    const make = () => createNetwork({ inputs: 12, layers: [{ size: 6, unit: 'logistic' }, { size: 3, unit: 'softmax' }], loss: 'softmax-cross-entropy', seed: 2 });
    const a = make();
    const b = make();
    b.layers[0]!.W.data.set(permuteColumns(b.layers[0]!.W, perm).data);
    const opts = { epochs: 3, batchSize: 5, learningRate: 0.5, seed: 1 };
    train(a, { inputs: X, targets: T }, opts);
    const Xs = permuteColumns(X, perm);
    train(b, { inputs: Xs, targets: T }, opts);
    const ya = a.forward(X).data.slice();
    const yb = b.forward(Xs).data;
    expect(Math.max(...ya.map((v, k) => Math.abs(v - yb[k]!)))).toBeLessThan(1e-12);
    expect(() => permuteColumns(X, [0, 0, 1])).toThrow(/perm/);
  });
});

describe('plots: readable axes', () => {
  it('log axes: 1-2-5 labels over one or two decades, powers of ten over more', () => {
    const narrow = readableAxes(curves([{ name: 'a', x: [17, 41, 137, 521], y: [9, 10, 12, 8] }]), { x: 'log', y: 'log' });
    const xa = narrow.layout!.xaxis as { type: string; tickvals: number[] };
    expect(xa.type).toBe('log');
    expect(xa.tickvals).toEqual([10, 20, 50, 100, 200, 500, 1000, 2000, 5000]);
    const wide = readableAxes(curves([{ name: 'a', x: [1, 2, 3], y: [1e-7, 1e-3, 1] }]), { y: 'log' });
    expect(wide.layout!.yaxis).toMatchObject({ type: 'log', dtick: 1, exponentformat: 'power' });
    const counts = readableAxes(curves([{ name: 'a', x: [1, 2, 3], y: [8, 100, 1704] }]), { y: 'log' });
    expect(counts.layout!.yaxis).toMatchObject({ type: 'log', dtick: 1, exponentformat: 'none' });
  });

  it('integer axes: whole-number ticks only (no 1.5 or 2.5)', () => {
    const axis = (n: number) =>
      readableAxes(curves([{ name: 'a', x: Array.from({ length: n }, (_, k) => k + 1), y: Array.from({ length: n }, () => 1) }]), { x: 'integer' }).layout!.xaxis as {
        dtick: number;
        tickformat: string;
      };
    expect(axis(8)).toMatchObject({ dtick: 1, tickformat: 'd' });
    expect(axis(100).dtick).toBe(10);
    expect(axis(2000).dtick).toBe(200);
  });
});
