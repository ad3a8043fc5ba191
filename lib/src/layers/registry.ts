import { ConfigError } from '../errors';
import { AvgPoolLayer, type AvgPoolSpec } from './avgpool';
import { Conv2dLayer, type Conv2dSpec } from './conv2d';
import { DenseLayer, type LayerSpec } from './dense';
import { DropoutLayer, type DropoutSpec } from './dropout';
import { FlattenLayer, type FlattenSpec } from './flatten';
import { MaxPoolLayer, type MaxPoolSpec } from './maxpool';
import type { Layer, LayerContext } from './layer';

/**
 * Layer specs are plain data ({ type: 'conv2d', maps: 6, kernel: 5, … }), so a network's
 * architecture can be printed, stored in an experiment table and rebuilt by copy().
 *
 * To add a layer kind: write its file in this folder (a class implementing Layer and a
 * spec interface with a literal `type`), add the spec to AnyLayerSpec and its
 * constructor to LAYER_KINDS below.
 */
export type AnyLayerSpec = LayerSpec | Conv2dSpec | AvgPoolSpec | MaxPoolSpec | FlattenSpec | DropoutSpec;

type Factory = (spec: never, ctx: LayerContext) => Layer;

/** The layer kinds by their `type` (a spec without `type` is a dense layer). */
export const LAYER_KINDS: Readonly<Record<string, Factory>> = {
  dense: (spec: LayerSpec, ctx) => new DenseLayer(spec, ctx),
  conv2d: (spec: Conv2dSpec, ctx) => new Conv2dLayer(spec, ctx),
  avgpool: (spec: AvgPoolSpec, ctx) => new AvgPoolLayer(spec, ctx),
  maxpool: (spec: MaxPoolSpec, ctx) => new MaxPoolLayer(spec, ctx),
  flatten: (spec: FlattenSpec, ctx) => new FlattenLayer(spec, ctx),
  dropout: (spec: DropoutSpec, ctx) => new DropoutLayer(spec, ctx),
};

/** Builds the layer for one spec on top of ctx.inputShape (throws ConfigError naming the layer). */
export function createLayer(spec: AnyLayerSpec, ctx: LayerContext): Layer {
  if (spec === null || typeof spec !== 'object') {
    throw new ConfigError(ctx.where, `layers[${ctx.index}] must be an object such as {size, unit} or {type: 'conv2d', …}, got ${String(spec)}`);
  }
  const type = (spec as { type?: unknown }).type ?? 'dense';
  const make = typeof type === 'string' && Object.prototype.hasOwnProperty.call(LAYER_KINDS, type) ? LAYER_KINDS[type] : undefined;
  if (make === undefined) {
    throw new ConfigError(ctx.where, `layers[${ctx.index}].type "${String(type)}" is unknown; known layer types: ${Object.keys(LAYER_KINDS).join(', ')}`);
  }
  return make(spec as never, ctx);
}
