import { ConfigError } from './errors';

/**
 * Adam (Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015, Algorithm 1),
 * the optimiser Niu et al. (2017) train their network with. For every weight, with the
 * mini-batch gradient g (plus λw when weight decay is on, as for SGD):
 *     m ← β₁ m + (1 − β₁) g            running mean of the gradient
 *     v ← β₂ v + (1 − β₂) g²           running mean of its square
 *     m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)   (bias corrections; t = 1, 2, … counts steps)
 *     w ← w − ε m̂ / (√v̂ + ϵ̂)
 * Each weight gets its own step size ≈ ε·(mean gradient)/(RMS gradient), so the step is
 * about ε whatever the scale of the gradient — which is why Adam needs little tuning.
 */
export interface AdamOptions {
  /** β₁, default 0.9. */
  beta1?: number;
  /** β₂, default 0.999. */
  beta2?: number;
  /** ϵ̂ in the denominator, default 1e-8. */
  epsilon?: number;
}

/** One parameter array with its gradient (the shape of Network.params() entries). */
export interface OptimParam {
  readonly values: Float64Array;
  readonly grads: Float64Array;
  readonly kind?: 'weights' | 'biases';
}

/**
 * One Adam step on one parameter array at step number t ≥ 1 (m, v updated in place).
 * lambda adds λw to the gradient (L2 weight decay); pass 0 for biases.
 */
export function adamStep(
  w: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  lambda: number,
): void {
  const c1 = 1 / (1 - beta1 ** t);
  const c2 = 1 / (1 - beta2 ** t);
  for (let k = 0; k < w.length; k++) {
    const gk = g[k]! + lambda * w[k]!;
    const mk = beta1 * m[k]! + (1 - beta1) * gk;
    const vk = beta2 * v[k]! + (1 - beta2) * gk * gk;
    m[k] = mk;
    v[k] = vk;
    w[k] = w[k]! - (lr * (mk * c1)) / (Math.sqrt(vk * c2) + epsilon);
  }
}

/** Adam over a list of parameter arrays; call step() after each backward pass. */
export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Steps taken so far. */
  t = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];

  constructor(
    readonly params: readonly OptimParam[],
    readonly learningRate: number,
    options: AdamOptions = {},
    readonly weightDecay = 0,
  ) {
    const where = 'Adam';
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    const inUnit = (x: number) => typeof x === 'number' && x >= 0 && x < 1;
    if (!inUnit(this.beta1)) throw new ConfigError(where, `beta1 must be in [0, 1), got ${String(options.beta1)}`);
    if (!inUnit(this.beta2)) throw new ConfigError(where, `beta2 must be in [0, 1), got ${String(options.beta2)}`);
    if (!(this.epsilon > 0)) throw new ConfigError(where, `epsilon must be positive, got ${String(options.epsilon)}`);
    if (!(learningRate > 0)) throw new ConfigError(where, `learningRate must be positive, got ${String(learningRate)}`);
    if (!(weightDecay >= 0)) throw new ConfigError(where, `weightDecay must be ≥ 0, got ${String(weightDecay)}`);
    this.m = params.map((p) => new Float64Array(p.values.length));
    this.v = params.map((p) => new Float64Array(p.values.length));
  }

  /** Updates every parameter from its current gradient. */
  step(): void {
    this.t++;
    for (let p = 0; p < this.params.length; p++) {
      const { values, grads, kind } = this.params[p]!;
      const lambda = kind === 'biases' ? 0 : this.weightDecay;
      adamStep(values, grads, this.m[p]!, this.v[p]!, this.t, this.learningRate, this.beta1, this.beta2, this.epsilon, lambda);
    }
  }
}
