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

/** Draws `timeline` (the /api/v1/timeline answer) into `container`. */
export function drawTimeline (container, timeline) {
  const buckets = timeline.buckets
  const width = 720
  const height = 150
  const pad = { left: 34, right: 8, top: 8, bottom: 22 }
  const max = Math.max(1, ...buckets.map((b) => b.count))
  const inner = { w: width - pad.left - pad.right, h: height - pad.top - pad.bottom }
  const step = buckets.length === 0 ? inner.w : inner.w / buckets.length
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `mentions per ${timeline.interval}, ${timeline.total} in all`, preserveAspectRatio: 'none' })
  for (const fraction of [0, 0.5, 1]) {
    const y = pad.top + inner.h * (1 - fraction)
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }))
    root.append(svg('text', { x: pad.left - 4, y: y + 3, class: 'axis', 'text-anchor': 'end' }, String(Math.round(max * fraction))))
  }
  const sameDay = buckets.length > 0 && buckets[0].time.slice(0, 10) === buckets[buckets.length - 1].time.slice(0, 10)
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 6))
  buckets.forEach((bucket, i) => {
    const h = (bucket.count / max) * inner.h
    const x = pad.left + i * step
    const bar = svg('rect', { x: x + step * 0.1, y: pad.top + inner.h - h, width: Math.max(1, step * 0.8), height: h, class: 'bar', 'data-time': bucket.time, 'data-count': bucket.count })
    bar.append(svg('title', {}, `${bucket.count} mention${bucket.count === 1 ? '' : 's'} · ${formatUtc(bucket.time)} UTC (${timeline.interval})`))
    root.append(bar)
    if (i % labelEvery === 0) {
      root.append(svg('text', { x: x + step / 2, y: height - 6, class: 'axis', 'text-anchor': 'middle' }, formatUtc(bucket.time, !sameDay)))
    }
  })
  container.replaceChildren(root)
}
