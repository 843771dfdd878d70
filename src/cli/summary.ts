// The summary `groundstream run` prints: what was read, indexed and
// dead-lettered, image outcomes with the setting to change for each refusal,
// boxed entities, latency and per-stage timings, and how to look at them.
import type { ImageStatus } from '../contracts/index.js'
import { STAGE_NAMES } from '../pipeline/index.js'
import type { BoxedExample, RunSummary, StageSummary } from '../service/index.js'
import type { ResultCacheCounts, ResultCacheStats } from '../stages/index.js'

/** What to do about images the service would not fetch or read. */
const IMAGE_HINTS: Partial<Record<ImageStatus, string>> = Object.freeze({
  refused_address: 'an internal address; see images.fetch.allowCidrs / images.fetch.allowHosts (or images.folders to read a URL prefix from a folder)',
  refused_scheme: 'only http(s) URLs (or a URL prefix mapped with images.folders)',
  refused_size: 'larger than images.fetch.maxBytes',
  refused_type: 'not one of images.fetch.allowedFormats',
  refused_pixels: 'more pixels than images.decode.maxPixels',
  refused_host: 'its host kept timing out (images.fetch.hostBreakerTimeouts, hostBreakerOpenMs) or had images.fetch.maxPerHost fetches in flight and queuePerHost waiting',
  timeout: 'took longer than images.perPostBudgetMs (raise it, or images.workers on a machine with cores to spare)',
  fetch_error: 'the host did not answer with the image',
  decode_error: 'the bytes are not a readable image',
  disabled: 'images.enabled is false (GS_IMAGES_ENABLED)'
})

function formatBox (box: BoxedExample['box']): string {
  const f = (v: number): string => v.toFixed(2)
  return `x ${f(box.x)} y ${f(box.y)} w ${f(box.w)} h ${f(box.h)}`
}

/** "stage 1 512 of 1500 inputs (34.1 %) answered without the model, stage 2 …". */
function formatCache (stats: ResultCacheStats): string {
  const one = (name: string, { hits, misses }: ResultCacheCounts): string => {
    const total = hits + misses
    return `${name} ${hits} of ${total}${total === 0 ? '' : ` (${(100 * hits / total).toFixed(1)} %)`}`
  }
  return `${one('stage 1', stats.stage1)}, ${one('stage 2', stats.stage2)} inputs answered without running the model`
}

/** " (8 of 9 shown)" when a list is cut to its first entries, else nothing. */
export function shownOf (shown: number, total: number): string {
  return shown < total ? ` (${shown} of ${total} shown)` : ''
}

export function formatSummary (summary: RunSummary): string {
  const seconds = summary.elapsedMs / 1000
  const lines = [
    '',
    `groundstream ${summary.mode === 'file' ? 'embedded run' : 'Kafka run'} finished in ${seconds.toFixed(2)} s`
  ]
  if (summary.source !== undefined) {
    lines.push(`  posts read        ${summary.source.lines} (${summary.source.admitted} valid)`)
  }
  // The rate is what the pipeline sustains once running (first micro-batch to
  // last post); startup (loading models and knowledge sources) is shown apart,
  // and the whole-run rate beside it so the two cannot be confused.
  const processing = summary.processingMs / 1000
  lines.push(`  posts indexed     ${summary.postsDone}  (${(summary.postsDone / Math.max(processing, 1e-9)).toFixed(1)} posts/s; ${(summary.postsDone / Math.max(seconds, 1e-9)).toFixed(1)} posts/s including startup)`)
  lines.push(`  startup           ${(summary.startupMs / 1000).toFixed(2)} s (models, knowledge sources, image workers, sink)`)
  const where = summary.output !== undefined ? ` -> ${summary.output}` : summary.index !== undefined ? ` -> Elasticsearch index ${summary.index}` : ''
  lines.push(`  entity documents  ${summary.documents}${where}`)
  const dead = Object.entries(summary.deadLetters)
  const deadTotal = dead.reduce((sum, [, count]) => sum + count, 0)
  lines.push(`  dead-lettered     ${deadTotal === 0 ? 0 : `${dead.map(([reason, count]) => `${reason}=${count}`).join(', ')}${summary.deadLetterFile === undefined ? '' : ` -> ${summary.deadLetterFile}`}`}`)
  const images = Object.entries(summary.images) as Array<[ImageStatus, number]>
  const imageTotal = images.reduce((sum, [, count]) => sum + count, 0)
  lines.push(`  images            ${imageTotal === 0 ? 'none (no post with an image had an entity to ground)' : `${imageTotal} looked at: ${images.map(([status, count]) => `${count} ${status}`).join(', ')}`}`)
  for (const [status, count] of images) {
    const hint = IMAGE_HINTS[status]
    if (hint !== undefined) lines.push(`    ${count} ${status}: ${hint}`)
  }
  lines.push(`  boxed entities    ${summary.boxed.count}${shownOf(summary.boxed.examples.length, summary.boxed.count)}`)
  for (const example of summary.boxed.examples) {
    lines.push(`    ${`${example.text} (${example.type})`.padEnd(28)} ${example.postId.padEnd(12)} ${example.label.padEnd(18)} ${formatBox(example.box)}`)
  }
  if (summary.resultCache !== undefined) lines.push(`  result cache      ${formatCache(summary.resultCache)}`)
  lines.push(`  micro-batches     ${summary.batches}`)
  lines.push(`  pipeline latency  p50 ${summary.pipelineLatencyMs.p50.toFixed(1)} ms, p99 ${summary.pipelineLatencyMs.p99.toFixed(1)} ms`)
  lines.push('  per-stage timings (wall time per micro-batch)')
  const rows = [
    ...STAGE_NAMES.filter((name) => summary.stages[name] !== undefined).map((name) => [name, summary.stages[name] as StageSummary] as const),
    ['sink', summary.sinkStats] as const
  ]
  for (const [name, stats] of rows) {
    const mean = stats.batches === 0 ? 0 : stats.totalMs / stats.batches
    const perPost = stats.posts === 0 ? 0 : stats.totalMs / stats.posts
    lines.push(`    ${name.padEnd(10)} ${String(stats.batches).padStart(5)} batches  ${stats.totalMs.toFixed(1).padStart(9)} ms total  ${mean.toFixed(2).padStart(8)} ms/batch  ${perPost.toFixed(2).padStart(7)} ms/post`)
  }
  lines.push('')
  if (summary.output !== undefined) {
    lines.push('Look at the results in the viewer (no cluster needed):')
    lines.push(`  npx groundstream serve --from ${summary.output}    then open http://127.0.0.1:8080/`)
  } else if (summary.index !== undefined) {
    lines.push('Look at the results in the viewer:')
    lines.push(`  npx groundstream serve --index ${summary.index}    then open http://127.0.0.1:8080/`)
  }
  return lines.join('\n') + '\n'
}
