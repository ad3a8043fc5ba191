export * from './errors';
export * from './rng';
export * from './matrix';
export * from './plotly-source';
