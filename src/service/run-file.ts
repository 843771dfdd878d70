// File mode (the embedded default): every line of the JSONL input through the
// started pipeline, then drain; the output files are moved into place only
// when the whole input was read (an interrupted run leaves the previous ones).
import type { AppConfig } from '../config/index.js'
import { countJsonlLines, runJsonlSource, type JsonlSourceResult } from '../consumers/index.js'
import { wrapError } from '../errors/index.js'
import type { ServiceDeps, StartedService } from './start.js'

export interface FileRunResult {
  source: JsonlSourceResult
  exitCode: number
  /** False when interrupted: the output files were not replaced. */
  committed: boolean
}

export async function runFile (service: StartedService, config: Readonly<AppConfig>, deps: ServiceDeps): Promise<FileRunResult> {
  const { pipeline, deadLetters, collector, logger } = service
  const total = await countJsonlLines(config.files.input).catch((error: unknown) => {
    throw wrapError('GS_ERR_CONFIG', `cannot read input ${config.files.input}`, error)
  })
  deps.progress?.start(total)
  let done = 0
  const source = await runJsonlSource({
    path: config.files.input,
    pipeline,
    deadLetters,
    maxRecordBytes: config.kafka.maxRecordBytes,
    ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    onDone: () => { done++; deps.progress?.update(done) }
  })
  deps.progress?.stop()
  for (const [reason, count] of Object.entries(source.reasons)) {
    if (reason !== 'sink_rejected') collector.deadLetters[reason] = (collector.deadLetters[reason] ?? 0) + count
  }
  // Every post is indexed or dead-lettered: drain, then move the outputs into place.
  await pipeline.close()
  if (deps.signal?.aborted === true) {
    logger.warn({ output: config.files.output }, 'interrupted: the output files were not replaced')
    return { source, exitCode: 130, committed: false }
  }
  for (const commit of service.commits) await commit()
  return { source, exitCode: 0, committed: true }
}
