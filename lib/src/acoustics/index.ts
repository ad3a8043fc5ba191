/** Ocean acoustics for the Niu et al. (2017) source-localisation project. */
export * from './complex';
export * from './environment';
export * from './pekeris';
export * from './scm';
export * from './labels';
export * from './mfp';
export * from './measured';
export * from './experiment';
