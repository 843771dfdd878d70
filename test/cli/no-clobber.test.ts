// File runs never clobber: the output and dead-letter files are replaced only
// when the run succeeded, after the input is known to be readable; a failed or
// interrupted run leaves the previous files exactly as they were and no
// temporary file behind.
import { expect, test } from 'vitest'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { runService } from '../../src/service/index.js'
import { parseConfig } from '../../src/config/index.js'
import { fakeStages, makePost } from '../pipeline/fakes.js'

function setup (): { dir: string, input: string, output: string, dead: string, config: (input: string) => ReturnType<typeof parseConfig> } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-clobber-'))
  const input = join(dir, 'posts.jsonl')
  writeFileSync(input, [makePost(1), makePost(2)].map((p) => JSON.stringify(p)).join('\n') + '\n{not json\n')
  const output = join(dir, 'entities.jsonl')
  const dead = join(dir, 'dead.jsonl')
  writeFileSync(output, 'previous output\n')
  writeFileSync(dead, 'previous dead letters\n')
  return {
    dir, input, output, dead,
    config: (from) => parseConfig({ files: { input: from, output, deadLetters: dead }, knowledge: { enabled: false }, images: { enabled: false } })
  }
}

const deps = (stages = fakeStages()) => ({ stages, logger: pino({ level: 'silent' }), registry: new Registry() })

test('a missing input fails before the previous output is touched', async () => {
  const { dir, output, dead, config } = setup()
  await expect(runService(config(join(dir, 'missing.jsonl')), deps())).rejects.toMatchObject({ code: 'GS_ERR_CONFIG' })
  expect(readFileSync(output, 'utf8')).toBe('previous output\n')
  expect(readFileSync(dead, 'utf8')).toBe('previous dead letters\n')
  expect(readdirSync(dir).sort()).toStrictEqual(['dead.jsonl', 'entities.jsonl', 'posts.jsonl'])
})

test('a run that fails half-way leaves the previous files and no temporary file', async () => {
  const { dir, input, output, dead, config } = setup()
  const stages = fakeStages({ fail: () => true })
  await expect(runService(config(input), deps(stages))).rejects.toThrow()
  expect(readFileSync(output, 'utf8')).toBe('previous output\n')
  expect(readFileSync(dead, 'utf8')).toBe('previous dead letters\n')
  expect(readdirSync(dir).sort()).toStrictEqual(['dead.jsonl', 'entities.jsonl', 'posts.jsonl'])
})

test('an interrupted run leaves the previous files; a successful one replaces them', async () => {
  const { dir, input, output, dead, config } = setup()
  const controller = new AbortController()
  controller.abort()
  const interrupted = await runService(config(input), { ...deps(), signal: controller.signal })
  expect(interrupted.exitCode).toBe(130)
  expect(readFileSync(output, 'utf8')).toBe('previous output\n')
  expect(readdirSync(dir).sort()).toStrictEqual(['dead.jsonl', 'entities.jsonl', 'posts.jsonl'])

  const summary = await runService(config(input), deps())
  expect(summary.exitCode).toBe(0)
  const documents = readFileSync(output, 'utf8').split('\n').filter((l) => l !== '')
  expect(documents.length).toBe(12)
  expect(readFileSync(dead, 'utf8').split('\n').filter((l) => l !== '').length).toBe(1)
  expect(readdirSync(dir).sort()).toStrictEqual(['dead.jsonl', 'entities.jsonl', 'posts.jsonl'])
})
