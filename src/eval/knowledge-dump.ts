// Knowledge for the knowledge-aware stage-2 retrain (`groundstream
// knowledge-dump`): reads the Twitter-GMNER CoNLL splits with the eval
// reader, takes every gold entity surface form and writes the knowledge the
// serving cache would join to it, through the same cache code path and the
// same offline sources, so train and serve prompts agree.
//
// Output lines: {"key","surface","text","source","canonicalId","title"}; one per
// distinct surface form. Tweets are never written out, only entity strings.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { GroundstreamError } from '../errors/index.js'
import { normaliseEntityKey } from '../contracts/index.js'
import { approximateTokenCounter, createKnowledgeCache, createSources, loadTokenCounter, parseKnowledgeConfig } from '../knowledge-cache/index.js'
import { bioToSpans, parseConll } from './dataset.js'

export interface GoldMention {
  split: string
  surface: string
  type: string
}

/** Entity surface forms of a CoNLL split (the eval reader's spans): words joined by spaces, an orphan I- starts a span. */
export function readConllMentions (text: string, split: string): GoldMention[] {
  return parseConll(text, split).flatMap((tweet) => bioToSpans(tweet.tags).map((span) => ({
    split,
    surface: tweet.words.slice(span.wordStart, span.wordEnd).join(' '),
    type: span.type
  })))
}

interface Coverage {
  mentions: number
  covered: number
  bySource: Record<string, number>
  byType: Record<string, { mentions: number, covered: number }>
}

export interface DumpOptions {
  /** Folder with `<split>.txt` CoNLL files. */
  data: string
  out: string
  splits: readonly string[]
  cataloguePath?: string
  sources?: readonly string[]
  tokenizerPath?: string
  /**
   * More surface forms to dump after the gold mentions, such as the stage-1
   * false positives that become NONE examples: without them only gold entities
   * would carry knowledge in training, and knowledge would leak the label.
   */
  extraSurfaces?: readonly string[]
}

export interface SplitCoverage {
  mentions: number
  covered: number
  percent: number
  bySource: Record<string, number>
  byType: Record<string, string>
}

export interface DumpSummary {
  out: string
  surfaces: number
  sources: readonly string[]
  budget: number
  counter: string
  coverage: Record<string, SplitCoverage>
}

export async function dumpKnowledge (options: DumpOptions): Promise<DumpSummary> {
  if (options.sources?.includes('wikipedia') === true) {
    throw new GroundstreamError('GS_ERR_CONFIG', 'the training dump uses offline sources only (wikipedia answers change over time and need the network)')
  }
  const config = parseKnowledgeConfig({
    ...(options.sources === undefined ? {} : { sources: options.sources }),
    ...(options.cataloguePath === undefined ? {} : { cataloguePath: options.cataloguePath }),
    ...(options.tokenizerPath === undefined ? {} : { tokenizerPath: options.tokenizerPath }),
    lruMaxBytes: 512 * 1024 * 1024
  })
  const counter = config.tokenizerPath === undefined ? approximateTokenCounter : await loadTokenCounter(config.tokenizerPath)
  const cache = createKnowledgeCache(config, { sources: createSources(config), tokenCounter: counter })
  await cache.init()

  const lines: string[] = []
  const seen = new Set<string>()
  const report: Record<string, Coverage> = {}
  try {
    for (const split of options.splits) {
      const file = path.join(options.data, `${split}.txt`)
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (error) {
        throw new GroundstreamError('GS_ERR_DATASET', `cannot read ${file}`, { cause: error, details: { path: file } })
      }
      report[split] = { mentions: 0, covered: 0, bySource: {}, byType: {} }
      for (const mention of readConllMentions(text, split)) {
        await dumpMention(mention)
      }
    }
    if (options.extraSurfaces !== undefined) {
      report.extra = { mentions: 0, covered: 0, bySource: {}, byType: {} }
      for (const surface of options.extraSurfaces) await dumpMention({ split: 'extra', surface, type: 'NONE' })
    }
  } finally {
    await cache.close()
  }

  async function dumpMention (mention: GoldMention): Promise<void> {
    const coverage = report[mention.split] as Coverage
    const knowledge = await cache.lookup(mention.surface)
    const covered = knowledge !== null && knowledge.text.length > 0
    coverage.mentions++
    const typeTally = coverage.byType[mention.type] ??= { mentions: 0, covered: 0 }
    typeTally.mentions++
    if (covered) {
      coverage.covered++
      typeTally.covered++
      coverage.bySource[knowledge.source] = (coverage.bySource[knowledge.source] ?? 0) + 1
    }
    if (seen.has(mention.surface)) return
    seen.add(mention.surface)
    lines.push(JSON.stringify({
      key: knowledge?.key ?? normaliseEntityKey(mention.surface),
      surface: mention.surface,
      text: knowledge?.text ?? '',
      source: knowledge?.source ?? null,
      canonicalId: knowledge?.canonicalId ?? null,
      title: knowledge?.title ?? null
    }))
  }
  await mkdir(path.dirname(options.out), { recursive: true })
  await writeFile(options.out, lines.join('\n') + '\n')

  const percent = (covered: number, total: number): string => (100 * covered / Math.max(1, total)).toFixed(1)
  return {
    out: options.out,
    surfaces: lines.length,
    sources: config.sources,
    budget: config.promptTokenBudget,
    counter: counter.kind,
    coverage: Object.fromEntries(Object.entries(report).map(([split, coverage]) => [split, {
      mentions: coverage.mentions,
      covered: coverage.covered,
      percent: Number(percent(coverage.covered, coverage.mentions)),
      bySource: coverage.bySource,
      byType: Object.fromEntries(Object.entries(coverage.byType).map(([type, tally]) => [type, `${tally.covered}/${tally.mentions} (${percent(tally.covered, tally.mentions)}%)`]))
    }]))
  }
}
