import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect, test } from 'vitest'
import { spawnSync } from 'node:child_process'
import { dumpKnowledge, readConllMentions } from '../../src/eval/knowledge-dump.js'
import { builtCli, repoPath } from '../support/paths.js'

const CONLL = `${repoPath('test/fixtures/knowledge/conll')}/`
const CATALOGUE = repoPath('data/catalogue.example.jsonl')

test('CoNLL mentions: B/I runs joined by spaces, a stray I- starts a span, blank lines and IMGID end tweets', async () => {
  const mentions = readConllMentions(await readFile(path.join(CONLL, 'train.txt'), 'utf8'), 'train')
  expect(mentions.map((mention) => [mention.surface, mention.type])).toStrictEqual([
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
    expect(lines.length, 'Paris appears twice but is written once').toBe(9)
    const bySurface = new Map(lines.map((line) => [line.surface, line]))
    expect(bySurface.get('AcmeRockets')?.source, 'run-on handle found through its split reading').toBe('catalogue')
    expect(bySurface.get('Kim Jong - un')?.key).toBe('kim jong-un')
    expect(bySurface.get('St . Louis')?.key).toBe('st. louis')
    expect(bySurface.get('Obama')?.text ?? '').toMatch(/President/)
    expect(bySurface.get('Zzyzx')?.text).toBe('')
    expect(bySurface.get("Victoria ' s Secret")?.key).toBe("victoria's secret")
    expect(summary.coverage.train?.mentions).toBe(8)
    expect(summary.coverage.dev?.mentions).toBe(2)
    expect((summary.coverage.train?.covered ?? 0) >= 4).toBeTruthy()
    expect(summary.sources).toStrictEqual(['catalogue', 'countries', 'wordnet', 'cities'])
    await expect(dumpKnowledge({ data: CONLL, out, splits: ['train'], sources: ['wikipedia'] })).rejects.toThrow(/offline sources only/)
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
    expect(surfaces.slice(-2), 'Paris was already written for the gold mention').toStrictEqual(['France', 'Blorptown'])
    expect(summary.coverage.extra?.mentions).toBe(3)
    expect(summary.coverage.extra?.covered).toBe(2)
    expect(lines.find((line) => line.surface === 'France')?.text ?? '').toMatch(/country/i)
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
    expect(run.status, run.stderr).toBe(0)
    const summary = JSON.parse(run.stdout) as { surfaces: number, coverage: Record<string, { mentions: number }> }
    expect(summary.coverage.train?.mentions).toBe(8)
    expect((await readFile(out, 'utf8')).trim().split('\n').length).toBe(summary.surfaces)
    const wrong = spawnSync(process.execPath, [main, 'knowledge-dump', '--no-such-flag'], { encoding: 'utf8', timeout: 60_000 })
    expect(wrong.status).toBe(2)
    expect(wrong.stderr).toMatch(/knowledge-dump: .*no-such-flag.*\[GS_ERR_USAGE\]/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
