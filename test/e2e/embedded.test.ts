// The embedded default as a user runs it: the CLI over the bundled sample
// posts, entity documents to a JSONL file, a summary with per-stage timings.
import { expect, test } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { skipWhen } from '../support/skip.js'
import { builtCli, ROOT } from '../support/paths.js'

const MODELS_PRESENT = existsSync(join(ROOT, 'models/stage1/manifest.json')) && existsSync(join(ROOT, 'models/stage2/manifest.json'))

test('groundstream run with no services: samples in, entity documents out, bad lines dead-lettered, summary printed', { timeout: 180_000 }, async (t) => {
  skipWhen(t, MODELS_PRESENT ? false : 'no models in models/')
  const dir = mkdtempSync(join(tmpdir(), 'gs-embedded-'))
  const output = join(dir, 'entities.jsonl')
  const env: Record<string, string | undefined> = { ...process.env, GS_INPUT: undefined, GS_OUTPUT: undefined }
  for (const key of Object.keys(env)) if (key.startsWith('GS_') || key === 'KAFKA_BROKERS') delete env[key]
  const { stdout } = await promisify(execFile)(process.execPath, [builtCli(), 'run', '--output', output, '--dead-letters', join(dir, 'dead.jsonl'), '--no-progress'], { cwd: ROOT, env, timeout: 170_000 })
  expect(stdout).toMatch(/embedded run finished/)
  expect(stdout).toMatch(/posts read\s+48 \(44 valid\)/)
  expect(stdout).toMatch(/posts indexed\s+44/)
  expect(stdout).toMatch(/dead-lettered\s+invalid_json=1, schema_violation=3/)
  for (const stage of ['stage1', 'stage2', 'sink']) expect(stdout).toMatch(new RegExp(`\\n\\s+${stage}\\s+\\d+ batches`))
  const documents = readFileSync(output, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { id: string, post_id: string, entity: { start: number, end: number, text: string, mention_kind: string, canonical_id: string | null, canonical_title: string | null, canonical_description: string | null } })
  const reported = Number(/entity documents\s+(\d+)/.exec(stdout)?.[1])
  expect(documents.length).toBe(reported)
  expect(new Set(documents.map((d) => d.id)).size, 'document ids are unique').toBe(documents.length)
  const posts = new Map(readFileSync(join(ROOT, 'samples/posts.jsonl'), 'utf8').split('\n').flatMap((line) => {
    try { const p = JSON.parse(line) as { id: string, text: string }; return [[p.id, p.text] as const] } catch { return [] }
  }))
  for (const doc of documents) {
    expect(posts.get(doc.post_id)?.slice(doc.entity.start, doc.entity.end), 'offsets point at the mention in the post text').toBe(doc.entity.text)
  }
  for (const doc of documents) {
    // A lone @/# word is a handle or hashtag; a longer stage-1 span that starts with one stays text.
    const single = /^[#@][^\s]+$/u.test(doc.entity.text)
    const expected = !single ? 'text' : doc.entity.text.startsWith('@') ? 'handle' : 'hashtag'
    expect(doc.entity.mention_kind, `${doc.entity.text}: the kind follows how it is written`).toBe(expected)
    expect('canonical_description' in doc.entity).toBeTruthy()
    if (doc.entity.canonical_id !== null) expect((doc.entity.canonical_description ?? '').length > 0 && doc.entity.canonical_title !== null, `${doc.entity.text}: a link says what it is`).toBeTruthy()
  }
  const kinds = new Set(documents.map((doc) => doc.entity.mention_kind))
  expect(kinds.has('handle') && kinds.has('hashtag'), 'the samples\' @handles and #hashtags are found').toBeTruthy()
  const deadLetters = readFileSync(join(dir, 'dead.jsonl'), 'utf8').split('\n').filter((l) => l !== '')
  expect(deadLetters.length).toBe(4)

  // The sample images are read from the installation's samples/images; the
  // one internal address is refused by the guard, and the summary says why.
  expect(stdout).toMatch(/images\s+8 looked at: (?=.*7 ok)(?=.*1 refused_address)/)
  expect(stdout).toMatch(/1 refused_address: .*images\.fetch\.allowCidrs/)
  const boxed = documents.filter((d) => (d as { box?: unknown }).box !== null && (d as { box?: unknown }).box !== undefined) as unknown as Array<{ post_id: string, entity: { text: string }, box: { label: string } }>
  expect(Number(/boxed entities\s+(\d+)/.exec(stdout)?.[1])).toBe(boxed.length)
  expect(boxed.length >= 3, `at least three boxed entities, got ${boxed.length}`).toBeTruthy()
  expect(boxed.some((d) => d.box.label.startsWith('text:') && d.box.label.toLowerCase().includes(d.entity.text.toLowerCase())), 'a brand is boxed on the sign that names it').toBeTruthy()
  expect(stdout).toMatch(/groundstream serve --from .*entities\.jsonl/)
})
