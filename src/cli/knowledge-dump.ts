// `groundstream knowledge-dump`: writes the knowledge the serving cache joins
// to every gold entity of a Twitter-GMNER-layout data set, for the
// knowledge-aware stage-2 retrain (training/README.md).
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { dumpKnowledge } from '../eval/index.js'
import { GroundstreamError } from '../errors/index.js'
import { parseFlags } from './args.js'

export const USAGE = `usage: groundstream knowledge-dump [--data DIR] [--out FILE] [--splits train,dev]
                                  [--catalogue FILE] [--sources catalogue,countries,wordnet,cities]
                                  [--tokenizer FILE] [--surfaces FILE]

Reads the gold entities of the data set's splits (Twitter-GMNER layout, read
as \`groundstream eval\` reads it) and writes, one JSON line per distinct
surface form, the knowledge the service's cache joins to it, through the same
cache code and offline sources the service uses, so training and serving
prompts agree. Tweets are never written, only entity strings.

  --data       data set folder (default ../shared/data/twitter-gmner)
  --out        output JSONL (default .cache/knowledge/gmner.jsonl)
  --splits     comma-separated splits (default train,dev)
  --catalogue  brand catalogue JSONL (default: the shipped one)
  --sources    offline knowledge sources (wikipedia is refused: it changes over time)
  --tokenizer  tokenizer.json that counts the prompt budget (stage 2 prompts: models/stage2/tokenizer.json)
  --surfaces   more surface forms, one per line (stage-1 false positives, dumped after the gold ones)

Prints a JSON summary: surfaces written and knowledge coverage per split.
`

const list = (raw: string): string[] => raw.split(',').map((item) => item.trim()).filter((item) => item.length > 0)

/** The flags knowledge-dump takes (its USAGE lists each one). */
export const FLAGS = {
  data: { type: 'string', default: path.join('..', 'shared', 'data', 'twitter-gmner') },
  out: { type: 'string', default: path.join('.cache', 'knowledge', 'gmner.jsonl') },
  splits: { type: 'string', default: 'train,dev' },
  catalogue: { type: 'string' },
  sources: { type: 'string' },
  tokenizer: { type: 'string' },
  surfaces: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export async function main (argv: string[]): Promise<number> {
  const values = parseFlags(argv, FLAGS)
  if (values.help === true) {
    process.stdout.write(USAGE)
    return 0
  }
  let extraSurfaces: string[] | undefined
  if (values.surfaces !== undefined) {
    const file = values.surfaces
    const text = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new GroundstreamError('GS_ERR_CONFIG', `cannot read --surfaces ${file}`, { cause: error })
    })
    extraSurfaces = text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0)
  }
  const summary = await dumpKnowledge({
    data: values.data,
    out: values.out,
    splits: list(values.splits),
    ...(values.sources === undefined ? {} : { sources: list(values.sources) }),
    ...(values.catalogue === undefined ? {} : { cataloguePath: values.catalogue }),
    ...(values.tokenizer === undefined ? {} : { tokenizerPath: values.tokenizer }),
    ...(extraSurfaces === undefined ? {} : { extraSurfaces })
  })
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
  return 0
}
