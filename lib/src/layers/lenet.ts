import { ConfigError } from '../errors';
import { createNetwork, type LayeredNetworkConfig, type Network } from '../network';
import type { Layer } from './layer';

export interface LeNet5Options {
  /** Units of C1, C3, C5 and F6: 'tanh' (default, as LeCun) or 'logistic' (or 'relu'). */
  unit?: 'tanh' | 'logistic' | 'relu';
  /** S2 and S4: 'avg' (default: LeCun's averaging) or 'max'. */
  pool?: 'avg' | 'max';
  /** Seed of the weight initialisation (default 1). */
  seed?: number;
}

/**
 * The LeNet-5 architecture for 28×28 digits as layer specs (plain data, so it can be printed,
 * edited or put in an experiment table):
 *
 *   C1  conv2d 6@28×28, 5×5 kernels, padding 2 (the 28×28 input acts as LeCun's 32×32)
 *   S2  average pool 2×2 → 6@14×14
 *   C3  conv2d 16@10×10, 5×5 kernels over all 6 maps (full connectivity; LeCun's C3 used a
 *       hand-made table connecting each map to 3–6 of the S2 maps, 1,516 instead of 2,416 parameters)
 *   S4  average pool 2×2 → 16@5×5
 *   C5  conv2d 120@1×1, 5×5 kernels (each C5 unit sees all of S4)
 *   F6  dense 84 units
 *   output  10 softmax units with softmax cross-entropy (LeCun used Euclidean RBF units)
 */
export function lenet5Config(options: LeNet5Options = {}): LayeredNetworkConfig {
  const unit = options.unit ?? 'tanh';
  const pool = options.pool ?? 'avg';
  if (unit !== 'tanh' && unit !== 'logistic' && unit !== 'relu') {
    throw new ConfigError('lenet5', `unit must be 'tanh', 'logistic' or 'relu', got ${String(unit)}`);
  }
  if (pool !== 'avg' && pool !== 'max') throw new ConfigError('lenet5', `pool must be 'avg' or 'max', got ${String(pool)}`);
  const poolType = pool === 'avg' ? ('avgpool' as const) : ('maxpool' as const);
  return {
    inputs: [1, 28, 28],
    layers: [
      { type: 'conv2d', name: 'C1', maps: 6, kernel: 5, padding: 2, unit },
      { type: poolType, name: 'S2', window: 2 },
      { type: 'conv2d', name: 'C3', maps: 16, kernel: 5, unit },
      { type: poolType, name: 'S4', window: 2 },
      { type: 'conv2d', name: 'C5', maps: 120, kernel: 5, unit },
      { type: 'dense', name: 'F6', size: 84, unit },
      { type: 'dense', name: 'output', size: 10, unit: 'softmax' },
    ],
    loss: 'softmax-cross-entropy',
    seed: options.seed ?? 1,
  };
}

/** A LeNet-5 network for 28×28 single-map images (rows of 784 pixels); see lenet5Config. */
export function lenet5(options: LeNet5Options = {}): Network<Layer> {
  return createNetwork(lenet5Config(options));
}
