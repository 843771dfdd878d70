// The per-host guard says why it did not run a fetch, so the image stage can
// report a refused host as `refused_host` and only a post's own exhausted
// budget as `timeout`.
import { expect, test } from 'vitest'
import { createHostGuard, isRefusal, type GuardRefusal } from '../../src/images/host-guard.js'

const URL_A = 'http://images.example/a.jpg'
const options = { maxPerHost: 1, queuePerHost: 0, breakerTimeouts: 2, breakerOpenMs: 60_000 }

function refusal (value: unknown): GuardRefusal {
  if (!isRefusal(value)) throw new Error(`expected a refusal, got ${JSON.stringify(value)}`)
  return value
}

test('a host whose fetches keep timing out is refused as host_failing once its breaker opens', async () => {
  const guard = createHostGuard(options)
  for (let i = 0; i < 2; i++) expect(await guard.run(URL_A, async () => 'timed out', () => true)).toBe('timed out')
  let ran = false
  const answer = refusal(await guard.run(URL_A, async () => { ran = true; return 'ok' }, () => false))
  expect(answer.kind).toBe('host_failing')
  expect(answer.reason).toMatch(/images\.example keeps timing out/)
  expect(ran).toBe(false)
  expect(guard.openHosts()).toEqual(['images.example'])
})

test('a host with every slot and queue place taken is refused as host_busy', async () => {
  const guard = createHostGuard(options)
  let release = (): void => {}
  const first = guard.run(URL_A, async () => await new Promise<string>((resolve) => { release = () => { resolve('first') } }), () => false)
  const answer = refusal(await guard.run(URL_A, async () => 'second', () => false))
  expect(answer.kind).toBe('host_busy')
  expect(answer.reason).toMatch(/1 fetches in flight and 0 waiting/)
  release()
  expect(await first).toBe('first')
  expect(await guard.run('http://other.example/b.jpg', async () => 'other', () => false)).toBe('other')
})

test('a post whose budget runs out while it waits for a slot is a budget refusal (a timeout), not a refused host', async () => {
  const guard = createHostGuard({ ...options, queuePerHost: 1 })
  let release = (): void => {}
  const first = guard.run(URL_A, async () => await new Promise<string>((resolve) => { release = () => { resolve('first') } }), () => false)
  const controller = new AbortController()
  const waiting = guard.run(URL_A, async () => 'second', () => false, controller.signal)
  controller.abort()
  release()
  await first
  const answer = refusal(await waiting)
  expect(answer.kind).toBe('budget')
  expect(answer.reason).toMatch(/budget exhausted waiting for a fetch slot/)
})
