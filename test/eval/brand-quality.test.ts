// Brand-tracking quality on the project's labelled set, with the shipped
// models, knowledge and catalogue, through the service's pipeline: fails when a change (or a retrained model)
// drops below the floors. The floors sit a few points under the figures
// measured when they were set (docs/brand-tracking.md), since retrained text
// models with the same contract are expected to move them a little.
import { expect, test } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { parseBrandSet } from '../../src/eval/brand-set.js'
import { runBrandSet } from '../../src/eval/run-brand-set.js'
import { startShippedProcessor } from '../support/shipped-processor.js'
import { skipWhen } from '../support/skip.js'
import { ROOT as REPO_ROOT } from '../support/paths.js'

const ROOT = `${REPO_ROOT}/`
const MODELS_PRESENT = existsSync(`${ROOT}models/stage1/manifest.json`) && existsSync(`${ROOT}models/stage2/manifest.json`)

/** [kind, mention F1, type accuracy, link precision, link coverage], in percent. */
const FLOORS = [
  ['text', 80, 85, 94, 68],
  ['handle', 90, 92, 94, 90],
  ['hashtag', 80, 90, 90, 72],
  ['all', 83, 88, 95, 73]
] as const

test('brand set: mention F1, type accuracy, link precision and coverage per kind stay above their floors', { timeout: 300_000 }, async (t) => {
  skipWhen(t, MODELS_PRESENT ? false : 'no models in models/')
  const posts = parseBrandSet(readFileSync(`${ROOT}test/fixtures/brand-set.txt`, 'utf8'), 'brand-set.txt')
  const processor = await startShippedProcessor()
  try {
    const { scores } = await runBrandSet(posts, processor)
    const problems: string[] = []
    for (const [kind, f1, typeAccuracy, linkPrecision, linkCoverage] of FLOORS) {
      const s = scores[kind]
      const check = (name: string, value: number, floor: number): void => {
        if (value * 100 < floor) problems.push(`${kind} ${name} ${(value * 100).toFixed(1)} < ${floor}`)
      }
      check('mention F1', s.mentions.f1, f1)
      check('type accuracy', s.typeAccuracy.value, typeAccuracy)
      check('link precision', s.linkPrecision.value, linkPrecision)
      check('link coverage', s.linkCoverage.value, linkCoverage)
    }
    expect(problems).toStrictEqual([])
  } finally {
    await processor.close()
  }
})
