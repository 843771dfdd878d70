// `groundstream serve --demo` as a process: it indexes the demo posts into the
// real Elasticsearch, serves the API, the viewer and the demo images, and
// exits 0 on SIGTERM.
import { expect, test } from 'vitest'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Client } from '@elastic/elasticsearch'
import { builtCli, repoPath } from '../support/paths.js'
import { dropFixtureIndex } from './fixtures.js'
import { requireElasticsearch } from './harness.js'

test('serve --demo indexes the demo, answers, and shuts down cleanly on SIGTERM', async (t) => {
  const url = requireElasticsearch(t)
  if (url === null) return
  const index = `gs-serve-demo-${process.pid}`
  const child = spawn(process.execPath, [builtCli(), 'serve', '--demo', '--port', '0', '--index', index, '--elasticsearch', url], {
    cwd: repoPath(), env: { ...process.env, GS_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe']
  })
  const client = new Client({ node: url })
  try {
    let stderr = ''
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`serve did not start:\n${stderr}`)) }, 30_000)
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const match = /"url":"(http:\/\/[^"]+)","index":"[^"]+","msg":"search API and viewer listening"/u.exec(stderr)
        if (match !== null) {
          clearTimeout(timer)
          resolve(match[1] as string)
        }
      })
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${String(code)}:\n${stderr}`)) })
    })
    const base = await listening
    const posts = await (await fetch(`${base}/api/v1/posts?size=50`)).json() as { posts: Array<{ image: { url: string | null } }> }
    expect(posts.posts.length).toBe(28)
    const image = posts.posts.find((p) => p.image.url !== null)?.image.url
    expect(image, 'the demo shows the bundled sample images').toBe('/media/nike-paris.jpg')
    expect((await fetch(`${base}${String(image)}`)).headers.get('content-type')).toBe('image/jpeg')
    const trending = await (await fetch(`${base}/api/v1/trending`)).json() as { entities: Array<{ entity: string }> }
    expect(trending.entities[0]?.entity, 'demo posts are dated relative to now').toBe('nike')
    expect((await fetch(`${base}/`)).status).toBe(200)
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit') as [number | null]
    expect(code).toBe(0)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    await dropFixtureIndex(client, index)
    await client.close()
  }
})

test('serve --from FILE: the API and viewer over a JSONL file, no cluster; the sample images are served under /media', async () => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { fixtureDocuments } = await import('./fixtures.js')
  const dir = mkdtempSync(join(tmpdir(), 'gs-serve-from-'))
  const file = join(dir, 'entities.jsonl')
  const docs = fixtureDocuments('https://samples.groundstream.example/images').map((doc) => (doc.image.url === null ? doc : { ...doc, image: { ...doc.image, url: 'https://samples.groundstream.example/images/nike-paris.jpg' } }))
  // Two lines that are not entity documents: counted and named on the terminal, the rest served.
  const lines = [...docs.map((doc) => JSON.stringify(doc)), '{not json', JSON.stringify({ id: 'p1', text: 'a post', created_at: '2026-12-01T00:00:00Z' })]
  writeFileSync(file, lines.join('\n') + '\n')
  const env: Record<string, string | undefined> = { ...process.env, GS_LOG_LEVEL: 'info' }
  for (const key of ['GS_ELASTICSEARCH_URL', 'ELASTICSEARCH_URL', 'GS_API_MEDIA_DIR']) delete env[key]
  const child = spawn(process.execPath, [builtCli(), 'serve', '--from', file, '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] })
  try {
    let stderr = ''
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`serve --from did not start:\n${stderr}`)) }, 30_000)
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString()
        const match = /"url":"(http:\/\/[^"]+)","file":"[^"]+","msg":"search API and viewer listening"/u.exec(stderr)
        if (match !== null) {
          clearTimeout(timer)
          resolve(match[1] as string)
        }
      })
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${String(code)}:\n${stderr}`)) })
    })
    expect(stderr).toMatch(new RegExp(`read ${docs.length + 2} lines of .*entities\\.jsonl: kept ${docs.length} entity documents, skipped 2 \\(line ${docs.length + 1}: not JSON; line ${docs.length + 2}: a post, not an entity document`))
    const mentions = await (await fetch(`${base}/api/v1/mentions?q=acme&size=50`)).json() as { mentions: Array<{ entity: { normalised: string } }> }
    expect(mentions.mentions.length).toBe(7)
    // The clock is anchored a minute after the newest post: trending's default window is the file's last hour.
    const extent = await (await fetch(`${base}/api/v1/extent`)).json() as { now: string, last: string }
    expect(Date.parse(extent.now) - Date.parse(extent.last)).toBe(60_000)
    const trending = await (await fetch(`${base}/api/v1/trending`)).json() as { entities: Array<{ entity: string }> }
    expect(trending.entities[0]?.entity).toBe('acme')
    const posts = await (await fetch(`${base}/api/v1/posts?size=50`)).json() as { posts: Array<{ image: { url: string | null } }> }
    const image = posts.posts.find((p) => p.image.url !== null)?.image.url
    expect(image).toBe('/media/nike-paris.jpg')
    const served = await fetch(`${base}${String(image)}`)
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toBe('image/jpeg')
    expect(await (await fetch(`${base}/`)).text()).toMatch(/<html/iu)
    const ready = await (await fetch(`${base}/readyz`)).json() as { backend: string, documents: number }
    expect([ready.backend, ready.documents]).toStrictEqual(['embedded', docs.length])
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit') as [number | null]
    expect(code).toBe(0)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
})

test('serve --from a missing file is a usage error: exit 2, one line', async () => {
  const { spawnSync } = await import('node:child_process')
  const result = spawnSync(process.execPath, [builtCli(), 'serve', '--from', '/no/such/entities.jsonl', '--port', '0'], { encoding: 'utf8', timeout: 30_000 })
  expect(result.status).toBe(2)
  expect(result.stderr).toMatch(/cannot read entity documents from \/no\/such\/entities\.jsonl/)
  expect(result.stderr.trimEnd().split('\n').length).toBe(1)
})

test('serve --from a posts file, a binary file or an empty file is refused: exit 2, one line saying what it holds', async () => {
  const { spawnSync } = await import('node:child_process')
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = mkdtempSync(join(tmpdir(), 'gs-serve-refuse-'))
  try {
    const binary = join(dir, 'image.bin')
    writeFileSync(binary, Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256)))
    const empty = join(dir, 'empty.jsonl')
    writeFileSync(empty, '')
    const cases: Array<[string, RegExp]> = [
      [repoPath('samples', 'posts.jsonl'), /read \d+ lines of .*posts\.jsonl: kept 0 entity documents, skipped \d+ \(line 1: a post, not an entity document/],
      [binary, /kept 0 entity documents, skipped \d+ \(line 1: not JSON/],
      [empty, /read 0 lines of .*empty\.jsonl: kept 0 entity documents, skipped none; it holds no entity documents/]
    ]
    for (const [file, message] of cases) {
      const result = spawnSync(process.execPath, [builtCli(), 'serve', '--from', file, '--port', '0'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, GS_LOG_LEVEL: 'error' } })
      expect(result.status, `${file}: ${result.stderr}`).toBe(2)
      expect(result.stderr).toMatch(message)
      expect(result.stderr).toMatch(/nothing to serve \(give it what groundstream run writes/)
      expect(result.stderr.trimEnd().split('\n').length, result.stderr).toBe(1)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('serve on a port in use: exit 1 with a hint naming the address and --port', async () => {
  const { spawnSync } = await import('node:child_process')
  const { createServer } = await import('node:net')
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { fixtureDocuments } = await import('./fixtures.js')
  const dir = mkdtempSync(join(tmpdir(), 'gs-serve-port-'))
  const holder = createServer()
  await new Promise<void>((resolve) => { holder.listen(0, '127.0.0.1', resolve) })
  try {
    const port = (holder.address() as { port: number }).port
    const file = join(dir, 'entities.jsonl')
    writeFileSync(file, fixtureDocuments('/media').map((doc) => JSON.stringify(doc)).join('\n') + '\n')
    const env: Record<string, string | undefined> = { ...process.env, GS_LOG_LEVEL: 'error' }
    for (const key of ['GS_ELASTICSEARCH_URL', 'ELASTICSEARCH_URL']) delete env[key]
    const result = spawnSync(process.execPath, [builtCli(), 'serve', '--from', file, '--port', String(port), '--host', '127.0.0.1'], { env, encoding: 'utf8', timeout: 30_000 })
    expect(result.status, result.stderr).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`hint: 127\\.0\\.0\\.1:${port} is taken by another program: stop it, or give another --port \\(0 picks a free one\\)`))
  } finally {
    holder.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
