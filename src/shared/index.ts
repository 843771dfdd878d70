// Mechanisms every folder uses and none owns: retry, timeouts, the worker RPC,
// the formatting of validation errors, the tiered cache (byte-bounded LRU,
// optional Redis, single flight) of knowledge and image analyses. One implementation each, here.
export { retry, backoffDelay, abortableSleep, sleep } from './retry.js'
export type { RetryOptions } from './retry.js'
export { withTimeout } from './timeout.js'
export { ByteLru, approximateBytes, systemClock } from './byte-lru.js'
export type { ByteLruOptions, Clock, EvictionReason } from './byte-lru.js'
export { SingleFlight, unlessAborted } from './single-flight.js'
export { createTieredCache } from './tiered-cache.js'
export type { RedisGetSet, TieredCache, TieredCacheOptions } from './tiered-cache.js'
export { formatIssues } from './validation.js'
export { mustExist, readJsonFile, readManifest } from './model-json.js'
export { INSTALL_ROOT, SAMPLE_IMAGES_PREFIX, installPath } from './install-paths.js'
export type { FormatIssuesOptions } from './validation.js'
export { serveWorker, startWorker } from './worker-rpc.js'
export type { CallReply, ServeWorkerOptions, StartWorkerOptions, WorkerRpc, WorkerService } from './worker-rpc.js'
