// A local stand-in for the MediaWiki REST summary endpoint, serving the
// project-written pages in test/fixtures/knowledge/wikipedia/ and scripted
// misbehaviour (429s, 5xx, slow answers, redirects) per title. Shared by the
// knowledge benchmark and the Wikipedia tests, so it lives with the benchmarks.
import { readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
// install.ts directly, not the service's index: a fixture server needs no service.
import { installPath } from '../../src/service/install.js'

const FIXTURE_DIR = pathToFileURL(`${installPath('test', 'fixtures', 'knowledge', 'wikipedia')}/`)
const PREFIX = '/api/rest_v1/page/summary/'

export interface ScriptedReply {
  status: number
  headers?: Record<string, string>
  body?: string
  /** Milliseconds before the headers are sent. */
  delayMs?: number
}

export interface FixtureServer {
  /** Base URL to configure the client with (`.../api/rest_v1`). */
  baseUrl: string
  /** Requests seen per title, in arrival order. */
  hits: Map<string, number>
  userAgents: string[]
  /** Replies to serve, in order, before falling back to the fixture page; the last one repeats when `repeat` is set. */
  script (title: string, replies: ScriptedReply[], repeat?: boolean): void
  close (): Promise<void>
}

export interface FixtureServerOptions {
  /** Answer every unknown title with a generated page (benchmarks), after this many ms. */
  generateLatencyMs?: number
}

function generatedPage (title: string): string {
  const name = title.replace(/_/g, ' ')
  return JSON.stringify({
    type: 'standard',
    title: name,
    titles: { canonical: title, normalized: name, display: name },
    description: 'Generated fixture page',
    extract: `${name} is a generated fixture page served by the groundstream benchmark's local stand-in for the summary API, about as long as a real lead paragraph summary tends to be in practice.`
  })
}

export async function startFixtureServer (options: FixtureServerOptions = {}): Promise<FixtureServer> {
  const pages = new Map<string, string>()
  for (const file of readdirSync(FIXTURE_DIR)) {
    if (file.endsWith('.json')) pages.set(file.slice(0, -5), readFileSync(new URL(file, FIXTURE_DIR), 'utf8'))
  }
  const hits = new Map<string, number>()
  const userAgents: string[] = []
  const scripts = new Map<string, { replies: ScriptedReply[], repeat: boolean }>()
  const redirects = new Map<string, string>([['USA', 'United_States'], ['Loop_A', 'Loop_B'], ['Loop_B', 'Loop_A'], ['Elsewhere', 'http://192.0.2.1/api/rest_v1/page/summary/Bella_Hadid']])
  const timers = new Set<NodeJS.Timeout>()

  function send (res: ServerResponse, reply: ScriptedReply): void {
    const write = (): void => {
      if (res.destroyed) return
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
      res.end(reply.body ?? '')
    }
    if (reply.delayMs === undefined) write()
    else {
      const timer = setTimeout(() => {
        timers.delete(timer)
        write()
      }, reply.delayMs)
      timers.add(timer)
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    userAgents.push(String(req.headers['user-agent']))
    const url = new URL(req.url ?? '/', 'http://fixture')
    if (!url.pathname.startsWith(PREFIX)) return send(res, { status: 404, body: '{"type":"not_found"}' })
    const title = decodeURIComponent(url.pathname.slice(PREFIX.length))
    hits.set(title, (hits.get(title) ?? 0) + 1)
    const scripted = scripts.get(title)
    if (scripted !== undefined && scripted.replies.length > 0) {
      const reply = scripted.replies.length === 1 && scripted.repeat ? scripted.replies[0] : scripted.replies.shift()
      if (reply !== undefined) return send(res, reply)
    }
    const target = redirects.get(title)
    // Titles redirect relatively, as the real API does; `Elsewhere` points off-origin.
    if (target !== undefined) return send(res, { status: 302, headers: { location: target }, body: '' })
    const page = pages.get(title)
    if (page === undefined && options.generateLatencyMs !== undefined) {
      return send(res, { status: 200, body: generatedPage(title), ...(options.generateLatencyMs > 0 ? { delayMs: options.generateLatencyMs } : {}) })
    }
    if (page === undefined) return send(res, { status: 404, body: JSON.stringify({ type: 'https://mediawiki.org/wiki/HyperSwitch/errors/not_found', title: 'Not found.' }) })
    send(res, { status: 200, body: page })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/api/rest_v1`,
    hits,
    userAgents,
    script (title, replies, repeat = false) {
      scripts.set(title, { replies: [...replies], repeat })
    },
    async close () {
      for (const timer of timers) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
