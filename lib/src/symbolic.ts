/**
 * Symbolic derivations with mathjs (`derivative`, `simplify`): the derivatives
 * of the units and the loss gradients that backpropagation uses, derived by a
 * computer-algebra system instead of by hand, and compared with the closed
 * forms the library computes (y(1−y), 1−y², y−t …).
 *
 * mathjs's `simplify` cannot prove every identity (it does not know that
 * sech² x = 1 − tanh² x, for example), so each derivation reports both whether
 * simplify reduced "derivative − closed form" to 0 and the largest difference
 * over sample points. mathjs is loaded on first use (it takes most of a second).
 */
import type * as MathJs from 'mathjs';
import { ConfigError, DataError } from './errors';
import { mathjs } from './interop';

/** A derivative found by mathjs. */
export interface Derivative {
  /** The simplified derivative in mathjs syntax, e.g. "sech(x) ^ 2". */
  expression: string;
  /** The same as LaTeX. */
  tex: string;
  /** The mathjs expression tree. */
  node: MathJs.MathNode;
  /** The derivative's value for the given variable values, e.g. evaluate({ x: 0.5 }). */
  evaluate(scope: Record<string, number>): number;
}

function parse(where: string, name: string, expr: string): MathJs.MathNode {
  try {
    return mathjs().parse(expr);
  } catch (err) {
    throw new ConfigError(where, `${name} "${expr}" is not a valid mathjs expression: ${(err as Error).message}`);
  }
}

function evaluator(where: string, node: MathJs.MathNode): (scope: Record<string, number>) => number {
  const compiled = node.compile();
  return (scope) => {
    const v: unknown = compiled.evaluate({ ...scope });
    if (typeof v !== 'number') throw new DataError(where, `${node.toString()} did not evaluate to a real number with ${JSON.stringify(scope)}`);
    return v;
  };
}

/** d(expr)/d(variable), simplified by mathjs. */
export function derive(expr: string, variable: string): Derivative {
  const where = 'derive';
  if (!/^[A-Za-z_][A-Za-z_0-9]*$/.test(variable)) throw new ConfigError(where, `variable "${variable}" is not a symbol name`);
  const mj = mathjs();
  const node = mj.simplify(mj.derivative(parse(where, 'expr', expr), variable));
  return { expression: node.toString(), tex: node.toTex(), node, evaluate: evaluator(where, node) };
}

/**
 * Replaces each symbol named in `definitions` by its (parenthesised)
 * definition, e.g. substitute('y*(1-y)', { y: '1/(1+e^(-x))' }) writes y(1−y)
 * as a function of x.
 */
export function substitute(expr: string, definitions: Record<string, string>): string {
  const mj = mathjs();
  const defs = new Map(Object.entries(definitions).map(([k, v]) => [k, parse('substitute', `definitions.${k}`, v)]));
  const node = parse('substitute', 'expr', expr).transform((n) => {
    if (mj.isSymbolNode(n) && defs.has(n.name)) return new mj.ParenthesisNode(defs.get(n.name)!);
    return n;
  });
  return node.toString();
}

/** One worked derivation: a function, its derivative by mathjs, and the closed form the library uses. */
export interface Derivation {
  name: string;
  /** What is being differentiated, in words. */
  description: string;
  /** The function, e.g. "E = -(t*log(y) + (1-t)*log(1-y))". */
  of: string;
  /** Differentiated with respect to this variable. */
  variable: string;
  /** Definitions substituted into `of` and `closedForm` before comparing (e.g. y = 1/(1+e^(−x))). */
  definitions: Record<string, string>;
  derivative: Derivative;
  /** The closed form used by the library, e.g. "y*(1-y)". */
  closedForm: string;
  closedFormTex: string;
  /**
   * True when (derivative − closed form) was shown to be 0 symbolically (see `proof`);
   * false means only the numerical comparison at the sample points (maxDifference) supports it.
   */
  provedSymbolically: boolean;
  /**
   * How it was shown: 'simplify' when mathjs simplify reduced the difference to 0;
   * 'rational function of e^x' when, with every e^(±v), exp, sinh, cosh, tanh, sech of a
   * variable v written through u_v = e^v, mathjs rationalize reduced the difference (now a
   * rational function of the u's) to 0 / q (simplify alone cannot, e.g. for sech² = 1 − tanh²);
   * null when neither worked.
   */
  proof: 'simplify' | 'rational function of e^x' | null;
  /** Largest |derivative − closed form| / max(1, |closed form|) over the sample points. */
  maxDifference: number;
  samples: Record<string, number>[];
  /** One LaTeX line: d(of)/d(variable) = mathjs result = closed form. */
  tex: string;
}

export interface DerivationSpec {
  name: string;
  description: string;
  /** Symbol for the differentiated quantity in the LaTeX line (y or E). */
  symbol: string;
  /** Its definition in terms of `variable` and other symbols (which `definitions` may expand). */
  of: string;
  variable: string;
  definitions: Record<string, string>;
  closedForm: string;
  samples: Record<string, number>[];
}

/** Works out one derivation from its spec: derive, compare symbolically and at the sample points. */
export function derivation(spec: DerivationSpec): Derivation {
  const where = `derivation ${spec.name}`;
  const mj = mathjs();
  const full = substitute(spec.of, spec.definitions);
  const derivative = derive(full, spec.variable);
  const closedFull = parse(where, 'closedForm', substitute(spec.closedForm, spec.definitions));
  const differenceNode = new mj.OperatorNode('-', 'subtract', [derivative.node, closedFull]);
  const difference = mj.simplify(differenceNode);
  let proof: Derivation['proof'] = difference.toString() === '0' ? 'simplify' : null;
  if (proof === null && vanishesAsRationalFunction(differenceNode)) proof = 'rational function of e^x';
  const provedSymbolically = proof !== null;
  const closed = evaluator(where, closedFull);
  let maxDifference = 0;
  for (const scope of spec.samples) {
    const a = derivative.evaluate(scope);
    const b = closed(scope);
    maxDifference = Math.max(maxDifference, Math.abs(a - b) / Math.max(1, Math.abs(b)));
  }
  const closedFormTex = parse(where, 'closedForm', spec.closedForm).toTex();
  const tex = `\\frac{\\partial ${spec.symbol}}{\\partial ${spec.variable}} = ${derivative.tex} = ${closedFormTex}`;
  return {
    name: spec.name,
    description: spec.description,
    of: `${spec.symbol} = ${spec.of}`,
    variable: spec.variable,
    definitions: spec.definitions,
    derivative,
    closedForm: spec.closedForm,
    closedFormTex,
    provedSymbolically,
    proof,
    maxDifference,
    samples: spec.samples,
    tex,
  };
}

/** Exponential-type functions of a variable v, written through u = e^v. */
const THROUGH_U: Record<string, (u: string) => string> = {
  exp: (u) => u,
  sinh: (u) => `((${u}^2 - 1) / (2 * ${u}))`,
  cosh: (u) => `((${u}^2 + 1) / (2 * ${u}))`,
  tanh: (u) => `((${u}^2 - 1) / (${u}^2 + 1))`,
  sech: (u) => `(2 * ${u} / (${u}^2 + 1))`,
};

/**
 * True when `node` is identically 0 as a rational function of u_v = e^v: every e^v, e^(−v),
 * exp(v), sinh(v), cosh(v), tanh(v), sech(v) of a symbol v is rewritten through u_v; if no
 * other use of those symbols remains, mathjs simplify then rationalize must give numerator 0.
 * A rational function with zero numerator is 0 wherever it is defined: a proof, not a sample.
 */
function vanishesAsRationalFunction(node: MathJs.MathNode): boolean {
  const mj = mathjs();
  const replaced = new Set<string>();
  const uOf = (name: string): string => {
    replaced.add(name);
    return `u_${name}`;
  };
  const rewritten = node.transform((n) => {
    if (mj.isFunctionNode(n) && n.args.length === 1 && mj.isSymbolNode(n.args[0]!) && THROUGH_U[n.fn.name]) {
      return mj.parse(THROUGH_U[n.fn.name]!(uOf((n.args[0] as MathJs.SymbolNode).name)));
    }
    if (mj.isOperatorNode(n) && n.op === '^' && mj.isSymbolNode(n.args[0]!) && (n.args[0] as MathJs.SymbolNode).name === 'e') {
      const a = n.args[1]!;
      if (mj.isSymbolNode(a)) return mj.parse(uOf(a.name));
      if (mj.isOperatorNode(a) && a.fn === 'unaryMinus' && mj.isSymbolNode(a.args[0]!)) return mj.parse(`(1 / ${uOf((a.args[0] as MathJs.SymbolNode).name)})`);
    }
    return n;
  });
  if (replaced.size === 0) return false;
  let leftover = false;
  rewritten.traverse((n) => {
    if (mj.isSymbolNode(n) && (replaced.has(n.name) || n.name === 'e')) leftover = true;
  });
  if (leftover) return false;
  try {
    const r = mj.rationalize(mj.simplify(rewritten)).toString();
    return r === '0' || r.startsWith('0 /');
  } catch {
    return false; // rationalize handles only rational expressions; anything else is "not proved"
  }
}

const LOGISTIC = '1 / (1 + e^(-x))';
const X_SAMPLES = [-6, -2.5, -1, -0.3, 0, 0.4, 1, 2, 5];
const Y_SAMPLES = [0.01, 0.2, 0.5, 0.7, 0.99];
const T_SAMPLES = [0, 0.25, 1];

function grid(a: Record<string, number[]>): Record<string, number>[] {
  let out: Record<string, number>[] = [{}];
  for (const [k, values] of Object.entries(a)) out = out.flatMap((s) => values.map((v) => ({ ...s, [k]: v })));
  return out;
}

/**
 * The unit derivatives of the lecture, expressed through the output y:
 * logistic y = 1/(1+e^(−x)) has dy/dx = y(1−y); tanh has dy/dx = 1−y².
 */
export function unitDerivations(): Derivation[] {
  return [
    derivation({
      name: 'logistic',
      description: 'logistic unit: dy/dx, written through its output y',
      symbol: 'y',
      of: LOGISTIC,
      variable: 'x',
      definitions: { y: LOGISTIC },
      closedForm: 'y * (1 - y)',
      samples: grid({ x: X_SAMPLES }),
    }),
    derivation({
      name: 'tanh',
      description: 'tanh unit: dy/dx, written through its output y',
      symbol: 'y',
      of: 'tanh(x)',
      variable: 'x',
      definitions: { y: 'tanh(x)' },
      closedForm: '1 - y^2',
      samples: grid({ x: X_SAMPLES }),
    }),
  ];
}

/**
 * The loss gradients: squared error dE/dy = y − t; cross-entropy for a
 * logistic output dE/dy = (y − t)/(y(1 − y)) and, through the chain rule,
 * dE/dx = y − t; softmax with cross-entropy dE/dx_i = y_i − t_i, written out
 * for three classes (with t₃ = 1 − t₁ − t₂, since targets sum to 1).
 */
export function lossDerivations(): Derivation[] {
  const sum = '(e^x1 + e^x2 + e^x3)';
  const softmax = { y1: `e^x1 / ${sum}`, y2: `e^x2 / ${sum}`, y3: `e^x3 / ${sum}`, t3: '(1 - t1 - t2)' };
  const targets = [
    [1, 0],
    [0, 1],
    [0, 0],
    [0.2, 0.5],
  ];
  const softmaxSamples = grid({ x1: [-2, 0.5, 3], x2: [-1, 1], x3: [0, 2.5] }).flatMap((s) => targets.map(([t1, t2]) => ({ ...s, t1: t1!, t2: t2! })));
  return [
    derivation({
      name: 'squared-error',
      description: 'squared error E = ½(y − t)²: dE/dy',
      symbol: 'E',
      of: '1/2 * (y - t)^2',
      variable: 'y',
      definitions: {},
      closedForm: 'y - t',
      samples: grid({ y: [-1, 0, 0.3, 2], t: T_SAMPLES }),
    }),
    derivation({
      name: 'cross-entropy-dy',
      description: 'cross-entropy of a logistic output: dE/dy',
      symbol: 'E',
      of: '-(t * log(y) + (1 - t) * log(1 - y))',
      variable: 'y',
      definitions: {},
      closedForm: '(y - t) / (y * (1 - y))',
      samples: grid({ y: Y_SAMPLES, t: T_SAMPLES }),
    }),
    derivation({
      name: 'cross-entropy-dx',
      description: 'cross-entropy of a logistic output: dE/dx = dE/dy · dy/dx',
      symbol: 'E',
      of: '-(t * log(y) + (1 - t) * log(1 - y))',
      variable: 'x',
      definitions: { y: LOGISTIC },
      closedForm: 'y - t',
      samples: grid({ x: X_SAMPLES, t: T_SAMPLES }),
    }),
    derivation({
      name: 'softmax-cross-entropy',
      description: 'softmax output with cross-entropy, 3 classes: dE/dx₁',
      symbol: 'E',
      of: '-(t1 * log(y1) + t2 * log(y2) + t3 * log(y3))',
      variable: 'x1',
      definitions: softmax,
      closedForm: 'y1 - t1',
      samples: softmaxSamples,
    }),
  ];
}
