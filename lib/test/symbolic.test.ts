import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors';
import { derivation, derive, lossDerivations, substitute, unitDerivations } from '../src/symbolic';
import { logistic, logisticDerivative, tanhDerivative } from '../src/units';

const xs = [-8, -3, -1.2, -0.1, 0, 0.25, 1, 2.7, 6];

describe('derive', () => {
  it('differentiates with mathjs and evaluates the result', () => {
    const d = derive('x^3 + 2*x', 'x');
    expect(d.evaluate({ x: 2 })).toBe(14);
    expect(d.tex.length).toBeGreaterThan(0);
    expect(() => derive('x +* 2', 'x')).toThrow(ConfigError);
    expect(() => derive('x', '2x')).toThrow(/not a symbol name/);
  });

  it('substitutes definitions for symbols', () => {
    expect(derive(substitute('y^2', { y: 'sin(x)' }), 'x').evaluate({ x: 0.3 })).toBeCloseTo(2 * Math.sin(0.3) * Math.cos(0.3), 14);
  });
});

describe('the library closed forms agree with mathjs', () => {
  it('logistic: y = 1/(1+e^(−x)) and dy/dx = y(1−y)', () => {
    const dy = derive('1 / (1 + e^(-x))', 'x');
    for (const x of xs) {
      const y = logistic(x);
      expect(y).toBeCloseTo(1 / (1 + Math.exp(-x)), 15);
      expect(logisticDerivative(y)).toBeCloseTo(dy.evaluate({ x }), 12);
    }
  });

  it('tanh: dy/dx = 1 − y²', () => {
    const dy = derive('tanh(x)', 'x');
    for (const x of xs) expect(tanhDerivative(Math.tanh(x))).toBeCloseTo(dy.evaluate({ x }), 12);
  });

  it('every named derivation matches its closed form at the sample points', () => {
    const all = [...unitDerivations(), ...lossDerivations()];
    expect(all.map((d) => d.name)).toEqual([
      'logistic',
      'tanh',
      'squared-error',
      'cross-entropy-dy',
      'cross-entropy-dx',
      'softmax-cross-entropy',
    ]);
    for (const d of all) {
      expect(d.samples.length).toBeGreaterThan(4);
      expect(d.maxDifference, d.name).toBeLessThan(1e-12);
      expect(d.tex).toContain('\\frac{\\partial');
    }
    // mathjs simplify proves these two outright.
    expect(all.find((d) => d.name === 'logistic')!.provedSymbolically).toBe(true);
    expect(all.find((d) => d.name === 'squared-error')!.provedSymbolically).toBe(true);
  });

  it('a wrong closed form is caught', () => {
    const wrong = derivation({
      name: 'wrong',
      description: 'logistic with a wrong closed form',
      symbol: 'y',
      of: '1 / (1 + e^(-x))',
      variable: 'x',
      definitions: { y: '1 / (1 + e^(-x))' },
      closedForm: 'y * (1 + y)',
      samples: xs.map((x) => ({ x })),
    });
    expect(wrong.provedSymbolically).toBe(false);
    expect(wrong.maxDifference).toBeGreaterThan(0.1);
  });

  it('the softmax cross-entropy gradient is y − t, not t − y', () => {
    // dE/dx for softmax + cross-entropy is y − t; without the chain through y it is not t − y.
    const sign = derive(substitute('-(t1*log(y1) + (1-t1)*log(y2))', { y1: 'e^x1/(e^x1+e^x2)', y2: 'e^x2/(e^x1+e^x2)' }), 'x1');
    const scope = { x1: 0.3, x2: -0.4, t1: 1 };
    const y1 = Math.exp(0.3) / (Math.exp(0.3) + Math.exp(-0.4));
    expect(sign.evaluate(scope)).toBeCloseTo(y1 - 1, 12);
    expect(Math.abs(sign.evaluate(scope) - (1 - y1))).toBeGreaterThan(0.1);
  });
});
