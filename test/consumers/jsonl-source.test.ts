// File mode's source and sink, through runService with rule-based stages:
// bytes that are not UTF-8 are dead-lettered as invalid_encoding (as Kafka
// mode does) instead of being indexed with replacement characters; CRLF,
// blank and over-long lines are handled without holding a whole file.
import { expect, test } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { runService } from '../../src/service/index.js'
import { parseConfig } from '../../src/config/index.js'
import { fakeStages, makePost } from '../pipeline/fakes.js'

test('file mode: invalid UTF-8 is dead-lettered as invalid_encoding, the lines around it are indexed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-file-'))
  const input = join(dir, 'posts.jsonl')
  const good = (i: number): Buffer => Buffer.from(JSON.stringify(makePost(i)) + '\n')
  // A post whose text holds the bytes FF FE C3: valid JSON around them, not UTF-8.
  const bad = Buffer.concat([Buffer.from('{"id":"bad","text":"caf'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","created_at":"2026-11-30T10:00:00Z"}\r\n')])
  const long = Buffer.from(JSON.stringify(makePost(9, { text: 'x'.repeat(20_000) })) + '\n')
  writeFileSync(input, Buffer.concat([good(1), Buffer.from('   \n'), bad, good(2), long, good(3)]))
  const config = parseConfig({
    files: { input, output: join(dir, 'out.jsonl'), deadLetters: join(dir, 'dead.jsonl') },
    kafka: { maxRecordBytes: 4096 },
    knowledge: { enabled: false },
    images: { enabled: false }
  })
  const summary = await runService(config, { stages: fakeStages(), logger: pino({ level: 'silent' }), registry: new Registry() })
  expect(summary.exitCode).toBe(0)
  expect(summary.source?.reasons).toStrictEqual({ invalid_encoding: 1, oversized: 1 })
  expect(summary.postsDone).toBe(3)
  const documents = readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { post_id: string, post: { text: string } })
  expect([...new Set(documents.map((d) => d.post_id))]).toStrictEqual(['post-00001', 'post-00002', 'post-00003'])
  expect(documents.every((d) => !d.post.text.includes('\ufffd')), 'no replacement characters indexed').toBeTruthy()
  const dead = readFileSync(join(dir, 'dead.jsonl'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { reason: string, source: { offset: string } })
  expect(dead.map((d) => [d.reason, d.source.offset])).toStrictEqual([['invalid_encoding', '3'], ['oversized', '5']])
})
