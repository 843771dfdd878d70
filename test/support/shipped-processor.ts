// The service as `groundstream eval --brand-set` runs it, for the quality
// tests: the installation's config and shipped models, knowledge on (no
// Redis: the environment is not read), no images, no metrics endpoint, fed
// from in-memory lists through the same pipeline `run` ships.
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { loadConfig } from '../../src/config/index.js'
import { installDefaults, startInMemoryProcessor, type InMemoryProcessor } from '../../src/service/index.js'

export async function startShippedProcessor (): Promise<InMemoryProcessor> {
  const config = loadConfig({
    env: {},
    defaults: installDefaults(),
    overrides: { knowledge: { enabled: true }, images: { enabled: false }, pipeline: { maxBatchSize: 32 }, metrics: { port: 0 } }
  })
  return await startInMemoryProcessor(config, pino({ level: 'warn' }), { registry: new Registry() })
}
