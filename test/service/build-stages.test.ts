// The stages a config builds, with the shipped models: which stages run, in
// what order, what the metrics learn about the models, and that closing is
// safe twice.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config/index.js'
import { createMetrics } from '../../src/metrics/index.js'
import { buildStages, installDefaults } from '../../src/service/index.js'
import { makeWork } from '../pipeline/fakes.js'

const silent = pino({ level: 'silent' })

test('text only: stage1 then stage2, model versions reported to the metrics, and the stages find entities', { timeout: 180_000 }, async () => {
  const config = loadConfig({ defaults: installDefaults(), overrides: { knowledge: { enabled: false }, images: { enabled: false }, metrics: { prefix: 'gs_build_' } } })
  const registry = new Registry()
  const built = await buildStages(config, { logger: silent, metrics: createMetrics({ registry, prefix: 'gs_build_' }) })
  try {
    expect(built.stages.map((stage) => stage.name)).toStrictEqual(['stage1', 'stage2'])
    expect(built.models.stage1).toBe(built.modelInfo.stage1.version)
    expect(built.models.stage2).toBe(built.modelInfo.stage2.version)
    const text = await registry.metrics()
    expect(text).toMatch(new RegExp(`gs_build_model_info\\{stage="stage1",version="${built.models.stage1}"`))
    let batch = [makeWork(1, { text: 'Barack Obama visited Paris with Angela Merkel' })]
    for (const stage of built.stages) batch = await stage.run(batch)
    const found = batch[0]?.entities.map((entity) => entity.candidate.text) ?? []
    expect(found.includes('Barack Obama'), `found ${JSON.stringify(found)}`).toBeTruthy()
  } finally {
    await built.close()
    await built.close()
  }
})

test('knowledge on, images off: the knowledge stage sits between the text stages', { timeout: 180_000 }, async () => {
  const config = loadConfig({ defaults: installDefaults(), overrides: { knowledge: { enabled: true, sources: ['countries'] }, images: { enabled: false } } })
  const built = await buildStages(config, { logger: silent, metrics: createMetrics({ registry: new Registry() }) })
  try {
    expect(built.stages.map((stage) => stage.name)).toStrictEqual(['stage1', 'knowledge', 'stage2'])
  } finally {
    await built.close()
  }
})

test('a models folder without models fails with a coded error naming the path, and leaves nothing running', async () => {
  const config = loadConfig({ defaults: installDefaults(), overrides: { textModels: { modelsDir: '/nonexistent/gs-models' }, knowledge: { enabled: false }, images: { enabled: false } } })
  await assert.rejects(buildStages(config, { logger: silent, metrics: createMetrics({ registry: new Registry() }) }), (error: Error & { code?: string }) => {
    expect(error.code).toBe('GS_ERR_MODEL_MISSING')
    expect(error.message).toMatch(/\/nonexistent\/gs-models/)
    return true
  })
})
