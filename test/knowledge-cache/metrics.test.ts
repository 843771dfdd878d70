import { expect, test } from 'vitest'
import { Registry } from 'prom-client'
import { createKnowledgeCache, registerKnowledgeMetrics } from '../../src/knowledge-cache/index.js'
import { tableSource } from '../../bench/support/knowledge.js'
import { failingSource, testConfig } from './fakes.js'

test('the Prometheus adapter exposes hit ratio per tier, source latency, errors, evictions and bytes', async () => {
  const registry = new Registry()
  const instrumentation = registerKnowledgeMetrics(registry)
  const cache = createKnowledgeCache(testConfig({ lruMaxBytes: 2048, lruMaxEntryBytes: 1024 }), {
    sources: [failingSource(), tableSource('table', { a: 'A.', b: 'B.', c: 'C.', d: 'D.', e: 'E.', f: 'F.', g: 'G.' })],
    instrumentation
  })
  for (const key of ['a', 'a', 'a', 'b', 'c', 'd', 'e', 'f', 'g']) await cache.lookup(key)
  const text = await registry.metrics()
  expect(text).toMatch(/groundstream_knowledge_lookups_total\{tier="memory",outcome="hit"\} 2/)
  expect(text).toMatch(/groundstream_knowledge_lookups_total\{tier="memory",outcome="miss"\} 7/)
  expect(text).toMatch(/groundstream_knowledge_hit_ratio\{tier="memory"\} 0\.222/)
  expect(text).toMatch(/groundstream_knowledge_source_duration_seconds_count\{source="table",outcome="hit"\} 7/)
  expect(text).toMatch(/groundstream_knowledge_fetch_errors_total\{source="broken",code="GS_ERR_KNOWLEDGE_SOURCE"\} 7/)
  expect(text).toMatch(/groundstream_knowledge_evictions_total\{reason="capacity"\} [1-9]/)
  const bytes = Number(/groundstream_knowledge_memory_bytes (\d+)/.exec(text)?.[1])
  expect(bytes > 0 && bytes <= 2048).toBeTruthy()
  await cache.close()
})
