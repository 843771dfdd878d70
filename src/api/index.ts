// The search/tracking API and the viewer page (`groundstream serve`).
export { API_ENV_VARS, apiConfigFromEnv, parseApiConfig } from './config.js'
export type { ApiConfig, ApiConfigInput } from './config.js'
export { createApiServer, API_ROUTES } from './server.js'
export type { ApiServer, ApiServerDeps } from './server.js'
export { EmbeddedSearch, type LoadResult } from './embedded.js'
export { requestSchemas } from './requests.js'
export { API_ERROR_CODES, type ApiErrorCode } from './errors.js'
export { DEMO_POSTS, demoDocuments, loadDemoIndex } from './demo.js'
