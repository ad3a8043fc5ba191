import { ConfigError } from '../errors';
import type { Layer } from '../layers/layer';
import type { AnyLayerSpec } from '../layers/registry';
import { createNetwork, type Network } from '../network';
import { train, type EpochStats } from '../train';
import { RANGE_CLASSES, mape, outputsToRangeKm, rangeAccuracy, rangeTargetsKm, rangeTargetsOneHot } from './labels';
import type { ScmDataset } from './scm';

/**
 * The network of Niu et al. (2017) for range estimation from SCM features: one hidden layer
 * of logistic (sigmoid) units with dropout, then either 138 softmax outputs (range classes,
 * softmax cross-entropy) or one linear output (range in km, squared error), trained with
 * Adam on mini-batches.
 */
export interface LocalizerOptions {
  /** 'classification' (default, 138 range classes) or 'regression' (range in km). */
  mode?: 'classification' | 'regression';
  /** Hidden logistic units (default 128). */
  hidden?: number;
  /** Dropout probability on the hidden layer (default 0.5; 0 for none). */
  dropout?: number;
  epochs?: number;
  batchSize?: number;
  /** Adam's step size ε (default 0.01 for classification, 0.003 for regression). */
  learningRate?: number;
  seed?: number;
}

export interface Localizer {
  net: Network<Layer>;
  mode: 'classification' | 'regression';
  history: EpochStats[];
  /** Range estimates in km for every SCM of data (evaluation mode: dropout off). */
  predictKm(data: ScmDataset): Float64Array;
}

/** Builds and trains the localiser on a training data set. */
export function trainLocalizer(data: ScmDataset, options: LocalizerOptions = {}): Localizer {
  const mode = options.mode ?? 'classification';
  if (mode !== 'classification' && mode !== 'regression') throw new ConfigError('trainLocalizer', `mode must be 'classification' or 'regression', got ${String(mode)}`);
  const hidden = options.hidden ?? 128;
  const dropout = options.dropout ?? 0.5;
  const layers: AnyLayerSpec[] = [{ size: hidden, unit: 'logistic' }];
  if (dropout > 0) layers.push({ type: 'dropout', rate: dropout });
  layers.push(mode === 'classification' ? { size: RANGE_CLASSES, unit: 'softmax' } : { size: 1, unit: 'linear' });
  const net = createNetwork({
    inputs: data.features.cols,
    layers,
    loss: mode === 'classification' ? 'softmax-cross-entropy' : 'squared-error',
    seed: options.seed ?? 1,
  });
  const targets = mode === 'classification' ? rangeTargetsOneHot(data.rangeKm) : rangeTargetsKm(data.rangeKm);
  const history = train(net, { inputs: data.features, targets }, {
    epochs: options.epochs ?? 10,
    batchSize: options.batchSize ?? 32,
    learningRate: options.learningRate ?? (mode === 'classification' ? 0.01 : 0.003),
    optimizer: 'adam',
    seed: options.seed ?? 1,
  });
  const predictKm = (d: ScmDataset): Float64Array => {
    if (d.features.cols !== net.inputs) {
      throw new ConfigError('Localizer.predictKm', `the data have ${d.features.cols} features per SCM but the network was trained on ${net.inputs} (same frequencies and array?)`);
    }
    // In chunks, so the network's batch buffers stay small.
    const out = new Float64Array(d.features.rows);
    const chunk = 1000;
    for (let s = 0; s < d.features.rows; s += chunk) {
      const e = Math.min(d.features.rows, s + chunk);
      const y = net.forward({ rows: e - s, cols: d.features.cols, data: d.features.data.subarray(s * d.features.cols, e * d.features.cols) });
      out.set(outputsToRangeKm(y), s);
    }
    return out;
  };
  return { net, mode, history, predictKm };
}

/** MAPE (%) and 20 m-class accuracy of range estimates against a data set's true ranges. */
export function scoreRanges(predKm: ArrayLike<number>, data: ScmDataset): { mape: number; accuracy: number } {
  return { mape: mape(predKm, data.rangeKm), accuracy: rangeAccuracy(predKm, data.rangeKm) };
}
