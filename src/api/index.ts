// The search/tracking API and the viewer page (`groundstream serve`).
export { ApiConfigSchema, ApiLimitsSchema, API_ENV_VARS, apiConfigFromEnv, parseApiConfig } from './config.js'
export type { ApiConfig, ApiConfigInput, ApiLimits } from './config.js'
export { createApiServer, API_ROUTES } from './server.js'
export type { ApiServer, ApiServerDeps } from './server.js'
export { EntitySearch, buildFilter, classifySearchError, decodeCursor, encodeCursor } from './search.js'
export type { CooccurringAnswer, EntitySummary, MentionsAnswer, PostView, PostsAnswer, SearchOptions, TimelineAnswer, TrendingAnswer } from './search.js'
export { requestSchemas, parseRequest, parseDurationMs, TIMELINE_INTERVALS, MENTION_SORTS } from './requests.js'
