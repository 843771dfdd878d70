// Mechanisms every folder uses and none owns: retry, timeouts, the worker RPC,
// the formatting of validation errors. One implementation each, here.
export { retry, backoffDelay, abortableSleep, sleep } from './retry.js'
export type { RetryOptions } from './retry.js'
export { withTimeout } from './timeout.js'
export { formatIssues } from './validation.js'
export type { FormatIssuesOptions } from './validation.js'
export { serveWorker, startWorker } from './worker-rpc.js'
export type { CallReply, ServeWorkerOptions, StartWorkerOptions, WorkerRpc, WorkerService } from './worker-rpc.js'
