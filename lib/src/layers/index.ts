export * from './layer';
export * from './dense';
export * from './flatten';
export * from './registry';
