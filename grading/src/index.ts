/** Instructor tools: autograder, gradebook, notebook execution, and the whole pipeline. */
export * as autograde from './autograde';
export * as gradebook from './gradebook';
export { runPipeline } from './pipeline';
