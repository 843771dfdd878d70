// Prometheus scrape config and alert rules, checked by promtool (Debian's
// prometheus package): syntax, rule validity, and the rule unit tests in
// deploy/prometheus/alerts.test.yml.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { requireTool, run } from '../deploy/helpers.js'

test('promtool check config deploy/prometheus/prometheus.yml', (t) => {
  const promtool = requireTool(t, 'promtool')
  if (promtool === null) return
  const result = run(promtool, ['check', 'config', 'deploy/prometheus/prometheus.yml'])
  assert.equal(result.status, 0, result.output)
  assert.match(result.output, /SUCCESS/)
})

test('promtool check rules deploy/prometheus/alerts.yml', (t) => {
  const promtool = requireTool(t, 'promtool')
  if (promtool === null) return
  const result = run(promtool, ['check', 'rules', 'deploy/prometheus/alerts.yml'])
  assert.equal(result.status, 0, result.output)
  assert.match(result.output, /SUCCESS: \d+ rules found/)
})

test('promtool test rules: every alert fires where it should and stays quiet where not', (t) => {
  const promtool = requireTool(t, 'promtool')
  if (promtool === null) return
  const result = run(promtool, ['test', 'rules', 'deploy/prometheus/alerts.test.yml'])
  assert.equal(result.status, 0, result.output)
  assert.match(result.output, /SUCCESS/)
})
