// The query rules both backends keep alike: date ranges defaulted and bounded,
// histogram intervals chosen and capped, trending's two windows and its ranking.
import type { ApiLimits } from './config.js'
import type { EntitySummary, TrendingAnswer } from './backend.js'
import { TIMELINE_INTERVALS, invalid, parseDurationMs, type TrendingRequest } from './requests.js'

const DAY_MS = 86_400_000

/** from/to defaulted and bounded by maxRangeDays (both backends). */
export function resolveRange (limits: ApiLimits, now: Date, from: Date | undefined, to: Date | undefined, defaultDays: number): { from: Date, to: Date } {
  const end = to ?? now
  const start = from ?? new Date(end.getTime() - defaultDays * DAY_MS)
  if (start.getTime() >= end.getTime()) throw invalid('from must be before to')
  if (end.getTime() - start.getTime() > limits.maxRangeDays * DAY_MS) {
    throw invalid(`the time range may span at most ${limits.maxRangeDays} days`)
  }
  return { from: start, to: end }
}

/** The timeline's interval: as asked, or the finest that keeps the answer to about 120 buckets. */
export function resolveInterval (limits: ApiLimits, requested: string, from: Date, to: Date): string {
  const span = to.getTime() - from.getTime()
  let interval = requested
  if (interval === 'auto') {
    interval = TIMELINE_INTERVALS.find((i) => span / parseDurationMs(i) <= Math.min(120, limits.maxBuckets)) ?? '7d'
  }
  const buckets = Math.ceil(span / parseDurationMs(interval))
  if (buckets > limits.maxBuckets) {
    throw invalid(`interval ${interval} over this range gives ${buckets} buckets; at most ${limits.maxBuckets} (use a coarser interval or a shorter range)`)
  }
  return interval
}

/** The trending windows for a request (both backends). */
export function trendingWindows (limits: ApiLimits, now: Date, request: TrendingRequest): { at: Date, currentFrom: Date, previousFrom: Date, candidates: number } {
  const at = request.at ?? now
  if (request.window * 2 > limits.maxRangeDays * DAY_MS) throw invalid(`window may be at most ${limits.maxRangeDays / 2} days`)
  return {
    at,
    currentFrom: new Date(at.getTime() - request.window),
    previousFrom: new Date(at.getTime() - 2 * request.window),
    candidates: Math.min(500, request.size * 10)
  }
}

/**
 * How surprising `current` mentions are against `previous` in an equally long
 * window before: given n = current + previous mentions over both windows, no
 * change means each falls in either window with chance 1/2, so current is
 * Binomial(n, 1/2); the score is its z-score, (current - n/2) / sqrt(n/4) =
 * (current - previous) / sqrt(current + previous). 6 vs 1 scores 1.89, 60 vs
 * 10 scores 5.98, 1 vs 0 only 1: a jump from a handful counts for less than
 * the same ratio over many mentions. 0 when there are no mentions at all.
 */
export function trendingScore (current: number, previous: number): number {
  const n = current + previous
  return n === 0 ? 0 : (current - previous) / Math.sqrt(n)
}

/**
 * Rising entities first (both backends): at least min_count mentions in the
 * window and more than before, ranked by trendingScore, then the smoothed
 * ratio (current + 1) / (previous + 1), then current, then the entity.
 */
export function rankTrending (rows: Array<EntitySummary & { current: number, total: number }>, request: Pick<TrendingRequest, 'min_count' | 'size'>): TrendingAnswer['entities'] {
  return rows
    .map(({ total, ...row }) => {
      const previous = total - row.current
      return { ...row, previous, change: row.current - previous, ratio: (row.current + 1) / (previous + 1), score: Number(trendingScore(row.current, previous).toFixed(4)) }
    })
    .filter((e) => e.current >= request.min_count && e.change > 0)
    .sort((a, b) => b.score - a.score || b.ratio - a.ratio || b.current - a.current || a.entity.localeCompare(b.entity))
    .slice(0, request.size)
}
