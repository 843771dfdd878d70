// A run never destroys a file it was pointed at (issue 30): input, output and
// dead-letter paths naming one file (by the same name, another spelling, a
// symlink or a hard link) are a usage error before anything is opened, and a
// file sink that cannot write says what is wrong with the file, leaving no
// temporary file behind.
import { test } from 'vitest'
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
  assert.equal(code, 2)
  assert.equal(stdout, '')
  assert.match(stderr.split('\n')[0] ?? '', /--input and --output name the same file/)
  assert.equal(readFileSync(join(dir, 'posts.jsonl'), 'utf8'), POSTS)
  assert.deepEqual(readdirSync(dir), ['posts.jsonl'])
})

test('run --input a.jsonl --dead-letters ./a.jsonl, and through a symlink or a hard link: the same file', async () => {
  const { dir, input } = folder()
  const { code, stderr } = cli(['run', '--input', 'posts.jsonl', '--dead-letters', './posts.jsonl', '--output', 'out.jsonl'], dir)
  assert.equal(code, 2)
  assert.match(stderr, /--input and --dead-letters name the same file/)
  symlinkSync(input, join(dir, 'link.jsonl'))
  linkSync(input, join(dir, 'hard.jsonl'))
  for (const other of ['link.jsonl', 'hard.jsonl']) {
    await assert.rejects(runService(config({ input, output: join(dir, other), deadLetters: join(dir, 'dead.jsonl') }), deps()), { code: 'GS_ERR_USAGE' })
  }
  assert.equal(readFileSync(input, 'utf8'), POSTS)
  assert.deepEqual(readdirSync(dir).sort(), ['hard.jsonl', 'link.jsonl', 'posts.jsonl'])
})

test('run --output x.jsonl --dead-letters x.jsonl (or another spelling of a file not there yet): usage error, the old x.jsonl kept', async () => {
  const { dir, input } = folder()
  const output = join(dir, 'x.jsonl')
  writeFileSync(output, 'previous documents\n')
  await assert.rejects(runService(config({ input, output, deadLetters: join(dir, '.', 'x.jsonl') }), deps()), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'GS_ERR_USAGE')
    assert.match(error.message, /--output and --dead-letters name the same file/)
    return true
  })
  assert.equal(readFileSync(output, 'utf8'), 'previous documents\n')
  const fresh = join(dir, 'new', 'y.jsonl')
  assert.equal(fileIdentity(fresh), fileIdentity(join(dir, 'new', '..', 'new', 'y.jsonl')))
  assert.throws(() => { assertDistinctFiles([{ flag: '--output', path: fresh }, { flag: '--dead-letters', path: join(dir, 'new', '..', 'new', 'y.jsonl') }]) }, /name the same file/)
  assert.doesNotThrow(() => { assertDistinctFiles([{ flag: '--output', path: fresh }, { flag: '--dead-letters', path: join(dir, 'new', 'z.jsonl') }]) })
  assert.deepEqual(readdirSync(dir).sort(), ['posts.jsonl', 'x.jsonl'])
})

test('run --output DIR: exit 1 saying it is a directory, no cluster hint, no temporary file', () => {
  const { dir } = folder()
  mkdirSync(join(dir, 'results'))
  const { code, stderr } = cli(['run', '--input', 'posts.jsonl', '--output', 'results', '--dead-letters', 'dead.jsonl', '--no-progress'], dir)
  assert.equal(code, 1)
  assert.match(stderr, /results is a directory: give a file path/)
  assert.doesNotMatch(stderr, /Elasticsearch/)
  assert.match(stderr, /hint: results is where --output \(files\.output in the config file, GS_OUTPUT\) points: give it the path of a file you can write/)
  assert.deepEqual(readdirSync(dir).sort(), ['posts.jsonl', 'results'])
  assert.deepEqual(readdirSync(join(dir, 'results')), [])
})

test('a rename that fails at commit removes its temporary file and says why', async () => {
  const { dir } = folder()
  const target = join(dir, 'entities.jsonl')
  const sink = new JsonlSink({ path: target, models: { stage1: 'a', stage2: 'b' } })
  await sink.init()
  assert.equal(readdirSync(dir).filter((name) => name.endsWith('.tmp')).length, 1)
  mkdirSync(target) // the target became a directory while the run went on
  await assert.rejects(sink.commit(), /entities\.jsonl is a directory/)
  await sink.close()
  assert.deepEqual(readdirSync(dir).sort(), ['entities.jsonl', 'posts.jsonl'])
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
    assert.equal(error.code, 'GS_ERR_SINK')
    assert.equal(error.details.file, 'out.jsonl')
    assert.match(error.message, message)
  }
})
