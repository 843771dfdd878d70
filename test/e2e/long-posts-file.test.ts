// The adversarial review's file-mode finding: 16 lines of the 20,000-character
// post through `groundstream run --input` crashed the JSONL sink ("Invalid
// string length"), exited 1 and left an empty output. With the per-post caps
// and the streaming sink they are all indexed, capped and marked.
import { expect, test } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { skipWhen } from '../support/skip.js'
import { builtCli, ROOT } from '../support/paths.js'

const MODELS_PRESENT = existsSync(join(ROOT, 'models/stage1/manifest.json')) && existsSync(join(ROOT, 'models/stage2/manifest.json'))

test('groundstream run --input: 16 posts of 20,000 characters are indexed, capped and marked', { timeout: 300_000 }, async (t) => {
  skipWhen(t, MODELS_PRESENT ? false : 'no models in models/')
  const dir = mkdtempSync(join(tmpdir(), 'gs-long-file-'))
  const input = join(dir, 'long.jsonl')
  const text = 'Tim Cook visited Paris. '.repeat(834).slice(0, 20_000)
  const lines = Array.from({ length: 16 }, (_, i) => JSON.stringify({ id: `long-${i}`, text, created_at: '2026-11-30T10:00:00Z' }))
  writeFileSync(input, lines.join('\n') + '\n')
  const output = join(dir, 'entities.jsonl')
  const env: Record<string, string | undefined> = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('GS_') || key === 'KAFKA_BROKERS') delete env[key]
  env.GS_KNOWLEDGE_ENABLED = 'false'
  env.GS_IMAGES_ENABLED = 'false'
  // Smaller caps than the defaults (4000 / 128 / 64) keep the test's CPU time down; the path is the same.
  env.GS_MAX_ANALYSED_CHARS = '1000'
  env.GS_MAX_CANDIDATES_PER_POST = '32'
  env.GS_MAX_MENTIONS_PER_POST = '16'
  const { stdout } = await promisify(execFile)(process.execPath, [builtCli(), 'run', '--input', input, '--output', output, '--dead-letters', join(dir, 'dead.jsonl'), '--batch-size', '16', '--no-progress'], { cwd: ROOT, env, timeout: 290_000, maxBuffer: 16 * 1024 * 1024 })
  expect(stdout).toMatch(/posts indexed\s+16/)
  expect(stdout).toMatch(/dead-lettered\s+0/)
  const documents = readFileSync(output, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { post_id: string, entity: { start: number, end: number, text: string }, post: { text: string, truncated: boolean, truncated_by: string[], text_length: number } })
  expect(documents.length > 0).toBeTruthy()
  const perPost = new Map<string, number>()
  for (const doc of documents) {
    perPost.set(doc.post_id, (perPost.get(doc.post_id) ?? 0) + 1)
    expect(doc.post.truncated).toBe(true)
    expect(doc.post.truncated_by.includes('chars')).toBeTruthy()
    expect(doc.post.text.length <= 1000).toBeTruthy()
    expect(doc.post.text_length).toBe(20_000)
    expect(doc.post.text.slice(doc.entity.start, doc.entity.end)).toBe(doc.entity.text)
  }
  expect(perPost.size).toBe(16)
  for (const count of perPost.values()) expect(count <= 16, `at most 16 mentions per post, got ${count}`).toBeTruthy()
})
