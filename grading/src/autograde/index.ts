/** Autograder for TypeScript homework notebooks: release, sandboxed autograde, feedback. */
export { releaseNotebook, releaseAssignment, solutionStub } from './release';
export { autogradeBatch, readManifest, COURSE_TIME_ZONE } from './batch';
export type { BatchOptions, BatchSummary, ManifestRow } from './batch';
export { writeFeedback, feedbackHtml } from './feedback';
export { gradeSubmission, buildKey, buildPlan, recoverSolutions, judge, GRADER_VERSION } from './grade';
export type { SubmissionResult, TestResult, AnswerKey, Status } from './grade';
export { loadAssignment, readNotebook, parseNotebook, NotebookError } from './notebook';
export { runInSandbox, DEFAULT_LIMITS } from './sandbox';
export type { SandboxLimits } from './sandbox';
