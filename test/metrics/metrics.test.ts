import { expect, test } from 'vitest'
import { Registry } from 'prom-client'
import { createMetrics, startMetricsServer } from '../../src/metrics/index.js'

test('events become metrics on the registry passed in, served at /metrics', async () => {
  const registry = new Registry()
  const metrics = createMetrics({ registry })
  for (const stage of ['stage1', 'knowledge', 'image', 'stage2'] as const) metrics.pipeline.batchEnd({ stage, size: 8, durationMs: 12 })
  metrics.pipeline.batchFormed(8)
  metrics.pipeline.sinkEnd({ size: 8, documents: 20, rejected: 0, durationMs: 30 })
  metrics.pipeline.postDone({ outcome: 'indexed', pipelineMs: 40, endToEndMs: 1500, truncated: ['chars', 'mentions'] })
  metrics.pipeline.postDone({ outcome: 'dead_lettered', pipelineMs: 40, endToEndMs: Number.NaN, truncated: [] })
  metrics.pipeline.queueDepth('stage2', 2)
  metrics.consumer.deadLettered('invalid_json', 2)
  metrics.consumer.lag('posts', 0, 17)
  metrics.consumer.committed('posts', 0, '100')
  metrics.consumer.paused(true)
  metrics.elasticsearchError('http_429')
  metrics.modelInfo({ stage: 'stage1', version: 'v1', provider: 'cpu' })
  metrics.inFlight(() => 5)
  metrics.image({ status: 'ok', durationMs: 120, regions: 6 })
  metrics.image({ status: 'refused_address', durationMs: 1, regions: 0 })
  metrics.resultCache('stage1', { hits: 3, misses: 29 })
  metrics.resultCache('stage1', { hits: 1, misses: 0 })
  metrics.trackedOverride('none')

  const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0 })
  try {
    const response = await fetch(server.url)
    expect(response.status).toBe(200)
    const text = await response.text()
    for (const stage of ['stage1', 'knowledge', 'image', 'stage2']) {
      expect(text).toMatch(new RegExp(`groundstream_stage_batch_duration_seconds_count\\{stage="${stage}"\\} 1`))
    }
    expect(text).toMatch(/groundstream_sink_batch_duration_seconds_count 1/)
    expect(text, 'a post without a timestamp is not observed').toMatch(/groundstream_end_to_end_latency_seconds_count 1\n/)
    expect(text).toMatch(/groundstream_batch_size_sum 8/)
    expect(text).toMatch(/groundstream_documents_indexed_total 20/)
    expect(text).toMatch(/groundstream_post_caps_total\{cap="chars"\} 1/)
    expect(text).toMatch(/groundstream_post_caps_total\{cap="mentions"\} 1/)
    expect(text).toMatch(/groundstream_posts_total\{outcome="dead_lettered"\} 1/)
    expect(text).toMatch(/groundstream_dead_letters_total\{reason="invalid_json"\} 2/)
    expect(text).toMatch(/groundstream_consumer_lag\{topic="posts",partition="0"\} 17/)
    expect(text).toMatch(/groundstream_consumer_paused 1/)
    expect(text).toMatch(/groundstream_elasticsearch_errors_total\{kind="http_429"\} 1/)
    expect(text).toMatch(/groundstream_model_info\{stage="stage1",version="v1",provider="cpu"\} 1/)
    expect(text).toMatch(/groundstream_in_flight_posts 5/)
    expect(text).toMatch(/groundstream_queue_depth\{queue="stage2"\} 2/)
    expect(text).toMatch(/groundstream_images_total\{status="refused_address"\} 1/)
    expect(text).toMatch(/groundstream_image_regions_sum 6/)
    expect(text).toMatch(/groundstream_text_result_cache_lookups_total\{stage="stage1",result="hit"\} 4/)
    expect(text).toMatch(/groundstream_text_result_cache_lookups_total\{stage="stage1",result="miss"\} 29/)
    expect(text).toMatch(/groundstream_tracked_overrides_total\{to="none"\} 1/)
    expect((await fetch(server.url.replace('/metrics', '/nope'))).status).toBe(404)
  } finally {
    await server.close()
    await server.close()
  }
})

test('two services in one process do not share metrics (no global registry)', () => {
  const a = new Registry()
  const b = new Registry()
  createMetrics({ registry: a })
  createMetrics({ registry: b })
  expect(a.getSingleMetric('groundstream_posts_total') !== b.getSingleMetric('groundstream_posts_total')).toBeTruthy()
})
