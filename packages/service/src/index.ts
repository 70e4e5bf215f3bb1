/**
 * @aigc-label/service: the verification service behind `aigc-label serve`. An HTTP API over the
 * aigc-label facade (verify, detect, and with a token label and propagate) with limits, health,
 * metrics and an OpenAPI document, and a page at / for people.
 */
export type { JobOutcome, JobRunner, ServiceJob, ServiceVerb } from './run.js';
export { type Listening, listen } from './serve.js';
export { type AsyncJobs, buildServer, type JobRequest, type ServiceOptions } from './server.js';
