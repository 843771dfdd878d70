import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { dumpKnowledge, readConllMentions } from '../../src/eval/knowledge-dump.js'
import { builtCli, repoPath } from '../support/paths.js'

const CONLL = `${repoPath('test/fixtures/knowledge/conll')}/`
const CATALOGUE = repoPath('data/catalogue.example.jsonl')

test('CoNLL mentions: B/I runs joined by spaces, a stray I- starts a span, blank lines and IMGID end tweets', async () => {
  const mentions = readConllMentions(await readFile(path.join(CONLL, 'train.txt'), 'utf8'), 'train')
  assert.deepEqual(mentions.map((mention) => [mention.surface, mention.type]), [
    ['Paris', 'LOC'], ['AcmeRockets', 'ORG'], ['Kim Jong - un', 'PER'], ['Obama', 'PER'], ['St . Louis', 'LOC'],
    ['Zzyzx', 'OTHER'], ['Quorbl', 'PER'], ['Paris', 'LOC']
  ])
})

test('the dump writes one line per surface through the serving cache and reports coverage', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gs-kc-dump-'))
  try {
    const out = path.join(dir, 'knowledge', 'gmner.jsonl')
    const summary = await dumpKnowledge({ data: CONLL, out, splits: ['train', 'dev'], cataloguePath: CATALOGUE })
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, string | null>)
    assert.equal(lines.length, 9, 'Paris appears twice but is written once')
    const bySurface = new Map(lines.map((line) => [line.surface, line]))
    assert.equal(bySurface.get('AcmeRockets')?.source, 'catalogue', 'run-on handle found through its split reading')
    assert.equal(bySurface.get('Kim Jong - un')?.key, 'kim jong-un')
    assert.equal(bySurface.get('St . Louis')?.key, 'st. louis')
    assert.match(bySurface.get('Obama')?.text ?? '', /President/)
    assert.equal(bySurface.get('Zzyzx')?.text, '')
    assert.equal(bySurface.get("Victoria ' s Secret")?.key, "victoria's secret")
    assert.equal(summary.coverage.train?.mentions, 8)
    assert.equal(summary.coverage.dev?.mentions, 2)
    assert.ok((summary.coverage.train?.covered ?? 0) >= 4)
    assert.deepEqual(summary.sources, ['catalogue', 'countries', 'wordnet', 'cities'])
    await assert.rejects(dumpKnowledge({ data: CONLL, out, splits: ['train'], sources: ['wikipedia'] }), /offline sources only/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('extra surfaces (stage-1 false positives) are dumped after the gold ones and counted apart', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gs-kc-dump-'))
  try {
    const out = path.join(dir, 'gmner.jsonl')
    const summary = await dumpKnowledge({ data: CONLL, out, splits: ['train'], cataloguePath: CATALOGUE, extraSurfaces: ['France', 'Paris', 'Blorptown'] })
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, string | null>)
    const surfaces = lines.map((line) => line.surface)
    assert.deepEqual(surfaces.slice(-2), ['France', 'Blorptown'], 'Paris was already written for the gold mention')
    assert.equal(summary.coverage.extra?.mentions, 3)
    assert.equal(summary.coverage.extra?.covered, 2)
    assert.match(lines.find((line) => line.surface === 'France')?.text ?? '', /country/i)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('`groundstream knowledge-dump` writes the dump and prints its summary; a wrong flag is a usage error', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gs-kc-dump-cli-'))
  try {
    const main = builtCli()
    const out = path.join(dir, 'k.jsonl')
    const run = spawnSync(process.execPath, [main, 'knowledge-dump', '--data', CONLL, '--splits', 'train', '--sources', 'countries', '--out', out], { encoding: 'utf8', timeout: 120_000 })
    assert.equal(run.status, 0, run.stderr)
    const summary = JSON.parse(run.stdout) as { surfaces: number, coverage: Record<string, { mentions: number }> }
    assert.equal(summary.coverage.train?.mentions, 8)
    assert.equal((await readFile(out, 'utf8')).trim().split('\n').length, summary.surfaces)
    const wrong = spawnSync(process.execPath, [main, 'knowledge-dump', '--no-such-flag'], { encoding: 'utf8', timeout: 60_000 })
    assert.equal(wrong.status, 2)
    assert.match(wrong.stderr, /knowledge-dump: .*no-such-flag.*\[GS_ERR_USAGE\]/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
