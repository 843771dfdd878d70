// The API's own error codes. Every error body the server sends,
// {"error":{"code","message","problems"?}}, carries one of these, each with the
// HTTP status it answers by default; a failure from below the API with any
// other code (or none) answers GS_ERR_INTERNAL, so no code outside this list
// reaches a client. openapi/groundstream-api.yaml lists exactly these codes
// (test/api checks it).
import { isGroundstreamError } from '../errors/index.js'

export const API_ERROR_STATUS = Object.freeze({
  /** Unknown parameter, bad value, over a limit, a request that cannot be parsed. */
  GS_ERR_API_INVALID: 400,
  /** No such route, viewer file or image. */
  GS_ERR_NOT_FOUND: 404,
  /** A failure the API did not expect; the details are logged, never sent. */
  GS_ERR_INTERNAL: 500,
  /** Elasticsearch failed or cannot be reached. */
  GS_ERR_SEARCH: 502,
  /** Too many searches in flight, or Elasticsearch answered 429 (with Retry-After); one export too many answers it with 429. */
  GS_ERR_OVERLOADED: 503,
  /** The search ran past the request budget (or the request was not received in time). */
  GS_ERR_TIMEOUT: 504
} as const)

export type ApiErrorCode = keyof typeof API_ERROR_STATUS

/** Every code an API error body can carry. */
export const API_ERROR_CODES: readonly ApiErrorCode[] = Object.freeze(Object.keys(API_ERROR_STATUS) as ApiErrorCode[])

export interface ApiErrorBody {
  error: { code: ApiErrorCode, message: string, problems?: unknown }
}

/** What one failed request answers: its status and body, and whether it was unexpected (to log loudly). */
export interface ApiErrorAnswer {
  status: number
  body: ApiErrorBody
  unexpected: boolean
}

export function isApiErrorCode (code: string): code is ApiErrorCode {
  return Object.hasOwn(API_ERROR_STATUS, code)
}

export function apiErrorBody (code: ApiErrorCode, message: string, problems?: unknown): ApiErrorBody {
  return { error: { code, message, ...(problems === undefined ? {} : { problems }) } }
}

const INTERNAL: ApiErrorAnswer = Object.freeze({
  status: API_ERROR_STATUS.GS_ERR_INTERNAL,
  body: apiErrorBody('GS_ERR_INTERNAL', 'internal error'),
  unexpected: true
})

/** A 4xx from the HTTP framework itself (a body it refused, a method it does not route). */
function frameworkClientStatus (error: unknown): number | null {
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null
}

/**
 * The answer for an error thrown while serving a request: a project error with
 * an API code keeps its code, message and problems; a framework 4xx is
 * GS_ERR_API_INVALID with its status; anything else is GS_ERR_INTERNAL.
 */
export function apiErrorFor (error: unknown): ApiErrorAnswer {
  if (isGroundstreamError(error)) {
    if (!isApiErrorCode(error.code)) return INTERNAL
    return { status: API_ERROR_STATUS[error.code], body: apiErrorBody(error.code, error.message, error.details.problems), unexpected: false }
  }
  const status = frameworkClientStatus(error)
  if (status !== null) return { status, body: apiErrorBody('GS_ERR_API_INVALID', (error as Error).message), unexpected: false }
  return INTERNAL
}
