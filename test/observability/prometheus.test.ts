// Prometheus scrape config and alert rules, checked by promtool (Debian's
// prometheus package): syntax, rule validity, and the rule unit tests in
// deploy/prometheus/alerts.test.yml.
import { expect, test } from 'vitest'
import { requireTool, run } from '../deploy/helpers.js'

test('promtool check config deploy/prometheus/prometheus.yml', (t) => {
  const promtool = requireTool(t, 'promtool')
  if (promtool === null) return
  const result = run(promtool, ['check', 'config', 'deploy/prometheus/prometheus.yml'])
  expect(result.status, result.output).toBe(0)
  expect(result.output).toMatch(/SUCCESS/)
})

test('promtool check rules deploy/prometheus/alerts.yml', (t) => {
  const promtool = requireTool(t, 'promtool')
  if (promtool === null) return
  const result = run(promtool, ['check', 'rules', 'deploy/prometheus/alerts.yml'])
  expect(result.status, result.output).toBe(0)
  expect(result.output).toMatch(/SUCCESS: \d+ rules found/)
})

test('promtool test rules: every alert fires where it should and stays quiet where not', (t) => {
  const promtool = requireTool(t, 'promtool')
  if (promtool === null) return
  const result = run(promtool, ['test', 'rules', 'deploy/prometheus/alerts.test.yml'])
  expect(result.status, result.output).toBe(0)
  expect(result.output).toMatch(/SUCCESS/)
})
