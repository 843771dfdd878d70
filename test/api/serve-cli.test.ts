// `groundstream serve --demo` as a process: it indexes the demo posts into the
// real Elasticsearch, serves the API, the viewer and the demo images, and
// exits 0 on SIGTERM.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { Client } from '@elastic/elasticsearch'
import { repoPath } from '../deploy/helpers.js'
import { dropFixtureIndex } from './fixtures.js'
import { requireElasticsearch } from './harness.js'

test('serve --demo indexes the demo, answers, and shuts down cleanly on SIGTERM', async (t) => {
  const url = requireElasticsearch(t)
  if (url === null) return
  const index = `gs-serve-demo-${process.pid}`
  const child = spawn(process.execPath, [repoPath('dist/src/cli/main.js'), 'serve', '--demo', '--port', '0', '--index', index, '--elasticsearch', url], {
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
    assert.equal(posts.posts.length, 11)
    const image = posts.posts.find((p) => p.image.url !== null)?.image.url
    assert.equal(image, '/media/storefront.png')
    assert.equal((await fetch(`${base}${String(image)}`)).headers.get('content-type'), 'image/png')
    const trending = await (await fetch(`${base}/api/v1/trending`)).json() as { entities: Array<{ entity: string }> }
    assert.equal(trending.entities[0]?.entity, 'acme', 'demo posts are dated relative to now')
    assert.equal((await fetch(`${base}/`)).status, 200)
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit') as [number | null]
    assert.equal(code, 0)
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    await dropFixtureIndex(client, index)
    await client.close()
  }
})
