// A run never destroys a file it was pointed at (issue 30): input, output and
// dead-letter paths naming one file (by the same name, another spelling, a
// symlink or a hard link) are a usage error before anything is opened, and a
// file sink that cannot write says what is wrong with the file, leaving no
// temporary file behind.
import { expect, test } from 'vitest'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { parseConfig } from '../../src/config/index.js'
import { runService } from '../../src/service/index.js'
import { assertDistinctFiles, fileIdentity } from '../../src/service/file-identity.js'
import { JsonlSink } from '../../src/sinks/index.js'
import { fileSinkError } from '../../src/sinks/jsonl.js'
import { fakeStages, makePost } from '../pipeline/fakes.js'
import { builtCli } from '../support/paths.js'

const POSTS = [makePost(1), makePost(2)].map((p) => JSON.stringify(p)).join('\n') + '\n'

function folder (): { dir: string, input: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gs-same-file-'))
  const input = join(dir, 'posts.jsonl')
  writeFileSync(input, POSTS)
  return { dir, input }
}

const deps = () => ({ stages: fakeStages(), logger: pino({ level: 'silent' }), registry: new Registry() })
const config = (files: { input: string, output: string, deadLetters: string }) =>
  parseConfig({ files, knowledge: { enabled: false }, images: { enabled: false } })

function cli (args: string[], cwd: string): { code: number | null, stdout: string, stderr: string } {
  const env: Record<string, string | undefined> = { ...process.env }
  delete env.GS_DEBUG
  const result = spawnSync(process.execPath, [builtCli(), ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('run --input a.jsonl --output a.jsonl: exit 2, one line naming both flags, the posts untouched', () => {
  const { dir } = folder()
  const { code, stdout, stderr } = cli(['run', '--input', 'posts.jsonl', '--output', 'posts.jsonl', '--no-progress'], dir)
  expect(code).toBe(2)
  expect(stdout).toBe('')
  expect(stderr.split('\n')[0] ?? '').toMatch(/--input and --output name the same file/)
  expect(readFileSync(join(dir, 'posts.jsonl'), 'utf8')).toBe(POSTS)
  expect(readdirSync(dir)).toStrictEqual(['posts.jsonl'])
})

test('run --input a.jsonl --dead-letters ./a.jsonl, and through a symlink or a hard link: the same file', async () => {
  const { dir, input } = folder()
  const { code, stderr } = cli(['run', '--input', 'posts.jsonl', '--dead-letters', './posts.jsonl', '--output', 'out.jsonl'], dir)
  expect(code).toBe(2)
  expect(stderr).toMatch(/--input and --dead-letters name the same file/)
  symlinkSync(input, join(dir, 'link.jsonl'))
  linkSync(input, join(dir, 'hard.jsonl'))
  for (const other of ['link.jsonl', 'hard.jsonl']) {
    await expect(runService(config({ input, output: join(dir, other), deadLetters: join(dir, 'dead.jsonl') }), deps())).rejects.toMatchObject({ code: 'GS_ERR_USAGE' })
  }
  expect(readFileSync(input, 'utf8')).toBe(POSTS)
  expect(readdirSync(dir).sort()).toStrictEqual(['hard.jsonl', 'link.jsonl', 'posts.jsonl'])
})

test('run --output x.jsonl --dead-letters x.jsonl (or another spelling of a file not there yet): usage error, the old x.jsonl kept', async () => {
  const { dir, input } = folder()
  const output = join(dir, 'x.jsonl')
  writeFileSync(output, 'previous documents\n')
  await assert.rejects(runService(config({ input, output, deadLetters: join(dir, '.', 'x.jsonl') }), deps()), (error: Error & { code?: string }) => {
    expect(error.code).toBe('GS_ERR_USAGE')
    expect(error.message).toMatch(/--output and --dead-letters name the same file/)
    return true
  })
  expect(readFileSync(output, 'utf8')).toBe('previous documents\n')
  const fresh = join(dir, 'new', 'y.jsonl')
  expect(fileIdentity(fresh)).toBe(fileIdentity(join(dir, 'new', '..', 'new', 'y.jsonl')))
  expect(() => { assertDistinctFiles([{ flag: '--output', path: fresh }, { flag: '--dead-letters', path: join(dir, 'new', '..', 'new', 'y.jsonl') }]) }).toThrow(/name the same file/)
  expect(() => { assertDistinctFiles([{ flag: '--output', path: fresh }, { flag: '--dead-letters', path: join(dir, 'new', 'z.jsonl') }]) }).not.toThrow()
  expect(readdirSync(dir).sort()).toStrictEqual(['posts.jsonl', 'x.jsonl'])
})

test('run --output DIR: exit 1 saying it is a directory, no cluster hint, no temporary file', () => {
  const { dir } = folder()
  mkdirSync(join(dir, 'results'))
  const { code, stderr } = cli(['run', '--input', 'posts.jsonl', '--output', 'results', '--dead-letters', 'dead.jsonl', '--no-progress'], dir)
  expect(code).toBe(1)
  expect(stderr).toMatch(/results is a directory: give a file path/)
  expect(stderr).not.toMatch(/Elasticsearch/)
  expect(stderr).toMatch(/hint: results is where --output \(files\.output in the config file, GS_OUTPUT\) points: give it the path of a file you can write/)
  expect(readdirSync(dir).sort()).toStrictEqual(['posts.jsonl', 'results'])
  expect(readdirSync(join(dir, 'results'))).toStrictEqual([])
})

test('a rename that fails at commit removes its temporary file and says why', async () => {
  const { dir } = folder()
  const target = join(dir, 'entities.jsonl')
  const sink = new JsonlSink({ path: target, models: { stage1: 'a', stage2: 'b' } })
  await sink.init()
  expect(readdirSync(dir).filter((name) => name.endsWith('.tmp')).length).toBe(1)
  mkdirSync(target) // the target became a directory while the run went on
  await expect(sink.commit()).rejects.toThrow(/entities\.jsonl is a directory/)
  await sink.close()
  expect(readdirSync(dir).sort()).toStrictEqual(['entities.jsonl', 'posts.jsonl'])
})

test('file errors say what is wrong with the file and what to do', () => {
  const cases: Array<[string, RegExp]> = [
    ['EACCES', /out\.jsonl is not writable \(permission denied\): fix the permissions or give a path you can write \(EACCES\)/],
    ['ENOSPC', /out\.jsonl cannot be written: the disk is full; free some space or write to another disk \(ENOSPC\)/],
    ['EROFS', /read-only file system/],
    ['EISDIR', /is a directory: give a file path/],
    ['EIO', /cannot write out\.jsonl: EIO/]
  ]
  for (const [code, message] of cases) {
    const error = fileSinkError('out.jsonl', Object.assign(new Error(code), { code }))
    expect(error.code).toBe('GS_ERR_SINK')
    expect(error.details.file).toBe('out.jsonl')
    expect(error.message).toMatch(message)
  }
})
