/* global document */
// The mentions-over-time chart: one SVG bar per timeline bucket, an axis with
// UTC times, and each bar's count and time in its tooltip. No library.

const SVG = 'http://www.w3.org/2000/svg'

function svg (tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value))
  if (text !== null) node.textContent = text
  return node
}

/** `2026-01-10 11:30` for spans over a day, `11:30` within one (always UTC). */
export function formatUtc (iso, withDate = true) {
  const text = new Date(iso).toISOString().replace('T', ' ').slice(0, 16)
  return withDate ? text : text.slice(11)
}

/** `1 mention`, `2 mentions`: a count with its noun, singular for exactly 1. */
export function plural (count, noun, nouns = `${noun}s`) {
  return `${count} ${count === 1 ? noun : nouns}`
}

/**
 * Y-axis ticks for integer counts up to `max`: 0 and whole steps of 1, 2 or 5
 * times a power of ten, at most `most` steps, the last tick at or above max.
 * 1 gives 0, 1; 5 gives 0, 2, 4, 6; never a repeated or fractional tick.
 */
export function niceTicks (max, most = 4) {
  const top = Math.max(1, Math.ceil(Number.isFinite(max) ? max : 1))
  let step = 1
  for (let power = 1; ; power *= 10) {
    const found = [1, 2, 5].map((m) => m * power).find((s) => Math.ceil(top / s) <= most)
    if (found !== undefined) { step = found; break }
  }
  const ticks = []
  for (let value = 0; value < top + step; value += step) ticks.push(value)
  return ticks
}

/**
 * Where an x-axis label goes: centred under its bar, or anchored at the
 * drawing's edge (start at `left`, end at `right`) when its estimated width
 * (`chars` characters of `charWidth` units) would cross it.
 */
export function placeAxisLabel (center, chars, left, right, charWidth = 6) {
  const half = (chars * charWidth) / 2
  if (center - half < left) return { x: left, anchor: 'start' }
  if (center + half > right) return { x: right, anchor: 'end' }
  return { x: center, anchor: 'middle' }
}

/** Draws `timeline` (the /api/v1/timeline answer) into `container`. */
export function drawTimeline (container, timeline) {
  const buckets = timeline.buckets
  const width = 720
  const height = 150
  const pad = { left: 34, right: 8, top: 8, bottom: 22 }
  const ticks = niceTicks(Math.max(0, ...buckets.map((b) => b.count)))
  const max = ticks[ticks.length - 1]
  const inner = { w: width - pad.left - pad.right, h: height - pad.top - pad.bottom }
  const step = buckets.length === 0 ? inner.w : inner.w / buckets.length
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${plural(timeline.total, 'mention')} in all, per ${timeline.interval}`, preserveAspectRatio: 'none' })
  for (const tick of ticks) {
    const y = pad.top + inner.h * (1 - tick / max)
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }))
    root.append(svg('text', { x: pad.left - 4, y: y + 3, class: 'axis y', 'text-anchor': 'end' }, String(tick)))
  }
  const sameDay = buckets.length > 0 && buckets[0].time.slice(0, 10) === buckets[buckets.length - 1].time.slice(0, 10)
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 6))
  buckets.forEach((bucket, i) => {
    const h = (bucket.count / max) * inner.h
    const x = pad.left + i * step
    const bar = svg('rect', { x: x + step * 0.1, y: pad.top + inner.h - h, width: Math.max(1, step * 0.8), height: h, class: 'bar', 'data-time': bucket.time, 'data-count': bucket.count })
    bar.append(svg('title', {}, `${plural(bucket.count, 'mention')} · ${formatUtc(bucket.time)} UTC (${timeline.interval})`))
    root.append(bar)
    if (i % labelEvery === 0) {
      const text = formatUtc(bucket.time, !sameDay)
      const at = placeAxisLabel(x + step / 2, text.length, 1, width - 1)
      root.append(svg('text', { x: at.x, y: height - 6, class: 'axis x', 'text-anchor': at.anchor }, text))
    }
  })
  container.replaceChildren(root)
}
