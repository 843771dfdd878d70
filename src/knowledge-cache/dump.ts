// Knowledge for the knowledge-aware stage-2 retrain: reads the Twitter-GMNER
// CoNLL splits, takes every gold entity surface form and writes the knowledge
// the serving cache would join to it, through the same cache code path and the
// same offline sources, so train and serve prompts agree.
//
//   node dist/src/knowledge-cache/dump.js --data ../shared/data/twitter-gmner \
//     --out .cache/knowledge/gmner.jsonl [--splits train,dev] [--catalogue FILE]
//     [--sources catalogue,countries,wordnet,cities] [--tokenizer models/stage1/tokenizer.json]
//     [--surfaces FILE]   (more surface forms, one per line: stage-1 false positives)
//
// Output lines: {"key","surface","text","source","canonicalId","title"}; one per
// distinct surface form. Tweets are never written out, only entity strings.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { GroundstreamError, errorMessage } from '../errors/index.js'
import { approximateTokenCounter, loadTokenCounter } from './budget.js'
import { createKnowledgeCache } from './cache.js'
import { parseKnowledgeConfig } from './config.js'
import { normaliseEntityKey } from '../contracts/index.js'
import { createSources } from './sources/registry.js'

export interface GoldMention {
  split: string
  surface: string
  type: string
}

/** Entity surface forms of a CoNLL split: `IMGID:` starts a tweet, `token<TAB>BIO`, blank line ends it. */
export function readConllMentions (text: string, split: string): GoldMention[] {
  const mentions: GoldMention[] = []
  let words: string[] = []
  let type = ''
  const flush = (): void => {
    if (words.length > 0) mentions.push({ split, surface: words.join(' '), type })
    words = []
    type = ''
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('IMGID:') || line.trim().length === 0) {
      flush()
      continue
    }
    const tab = line.lastIndexOf('\t')
    const token = tab < 0 ? line : line.slice(0, tab)
    const tag = tab < 0 ? 'O' : line.slice(tab + 1).trim()
    if (tag.startsWith('B-')) {
      flush()
      words = [token]
      type = tag.slice(2)
    } else if (tag.startsWith('I-') && words.length > 0 && tag.slice(2) === type) {
      words.push(token)
    } else if (tag.startsWith('I-')) {
      // An I- without its B- starts a span, as the stage-1 decoder repairs it.
      flush()
      words = [token]
      type = tag.slice(2)
    } else {
      flush()
    }
  }
  flush()
  return mentions
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

async function main (argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: '../shared/data/twitter-gmner' },
      out: { type: 'string', default: '.cache/knowledge/gmner.jsonl' },
      splits: { type: 'string', default: 'train,dev' },
      catalogue: { type: 'string' },
      sources: { type: 'string' },
      tokenizer: { type: 'string' },
      surfaces: { type: 'string' }
    }
  })
  const extraSurfaces = values.surfaces === undefined
    ? undefined
    : (await readFile(values.surfaces, 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line.length > 0)
  const sources = values.sources?.split(',').map((name) => name.trim()).filter((name) => name.length > 0)
  const summary = await dumpKnowledge({
    data: values.data,
    out: values.out,
    splits: values.splits.split(',').map((split) => split.trim()).filter((split) => split.length > 0),
    ...(sources === undefined ? {} : { sources }),
    ...(values.catalogue === undefined ? {} : { cataloguePath: values.catalogue }),
    ...(values.tokenizer === undefined ? {} : { tokenizerPath: values.tokenizer }),
    ...(extraSurfaces === undefined ? {} : { extraSurfaces })
  })
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`knowledge dump failed: ${errorMessage(error)}\n`)
    process.exitCode = 1
  })
}
