// Posts for the pipeline benchmark, shaped like a real firehose:
//   - GS_BENCH_POSTS_FILE (a JSONL file of posts) when given;
//   - else the Twitter-GMNER dev split when ../shared/data/twitter-gmner is
//     present (read in place, never copied into the repository);
//   - else a project-written mix with a tweet-like length distribution.
// `withImages` then gives a share of the posts an image URL, half of them
// repeating an earlier image (reposts, memes, campaign images).
//
//   node dist/bench/posts.js --out /tmp/dev-posts.jsonl [--posts 1500] [--data DIR] [--reposts 0.35]
// writes the posts as JSONL (with --reposts, that share repeats an earlier post's text) for `groundstream run --input FILE` (write them
// outside the repository: the dev split's text must not be committed).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { PostSchema, type PostInput } from '../src/contracts/index.js'
import { newPostWork } from '../src/consumers/index.js'
import type { PostWork } from '../src/pipeline/index.js'
import { readSplit } from '../src/eval/dataset.js'

export const DEFAULT_DATA_DIR = path.join('..', 'shared', 'data', 'twitter-gmner')

export interface BenchPosts {
  source: string
  posts: PostInput[]
}

const CREATED_AT = '2026-11-30T12:00:00Z'

/** A deterministic PRNG (mulberry32), so every run sees the same mix. */
export function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const NAMES = ['Serena Williams', 'Tim Cook', 'Lionel Messi', 'Taylor Swift', 'Barack Obama', 'Angela Merkel', 'LeBron James', 'Kylian Mbappé', 'Adele', 'Drake', 'Rihanna', 'Elon Musk']
const PLACES = ['Paris', 'London', 'Tokyo', 'New York', 'Berlin', 'Nairobi', 'Sydney', 'Madrid', 'Chicago', 'Seattle', 'Lagos', 'Toronto', 'Manchester', 'Texas']
const ORGS = ['Nike', 'Apple', 'Tesla', 'Google', 'Starbucks', 'Netflix', 'NASA', 'Arsenal', 'the Lakers', 'BBC', 'Samsung', 'CNN']
const FILLER = ('the a to and of in is for on that with this you it at be my just so we are was what have not but all your '
  + 'me will get like can new from one day out now up about time love when today great good people know see more how '
  + 'lol via watch game night last tonight week year best live show news first back going happy thanks').split(' ')

/**
 * Project-written posts: 5–45 words, most between 8 and 25 (tweets in the
 * GMNER splits average about 16 tokens), with retweet prefixes, mentions,
 * hashtags, links and 0–3 named entities each.
 */
export function syntheticTweets (count: number, seed = 15): PostInput[] {
  const random = seededRandom(seed)
  const pick = <T> (items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  return Array.from({ length: count }, (_, i) => {
    // A log-normal-ish length around 15 words.
    const gauss = (random() + random() + random() - 1.5) * 1.2
    const length = Math.max(5, Math.min(45, Math.round(15 * Math.exp(gauss * 0.45))))
    const words: string[] = []
    if (random() < 0.3) words.push('RT', `@${pick(FILLER)}${Math.floor(random() * 900)}`, ':')
    while (words.length < length) {
      const roll = random()
      if (roll < 0.06) words.push(...pick(NAMES).split(' '))
      else if (roll < 0.11) words.push(...pick(PLACES).split(' '))
      else if (roll < 0.15) words.push(...pick(ORGS).split(' '))
      else if (roll < 0.19) words.push(`#${pick(PLACES).replace(/ /g, '')}`)
      else if (roll < 0.21) words.push(`@${pick(FILLER)}_${Math.floor(random() * 99)}`)
      else words.push(pick(FILLER))
    }
    if (random() < 0.25) words.push(`https://t.co/${Math.floor(random() * 1e9).toString(36)}`)
    return { id: `mix-${String(i).padStart(6, '0')}`, text: words.join(' '), created_at: CREATED_AT, image_urls: [] }
  })
}

function readPostsFile (file: string): PostInput[] {
  return readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line, i) => {
    const parsed = PostSchema.safeParse(JSON.parse(line))
    if (!parsed.success) throw new Error(`${file}:${i + 1}: not a post: ${parsed.error.message}`)
    return { ...parsed.data, image_urls: [...parsed.data.image_urls] }
  })
}

/** The posts a benchmark runs on, and a line saying where they came from. */
export async function loadBenchPosts (options: { file?: string, dataDir?: string, count: number }): Promise<BenchPosts> {
  if (options.file !== undefined && options.file !== '') {
    const posts = readPostsFile(options.file)
    return { source: `${posts.length} posts from ${options.file}`, posts: cycle(posts, options.count) }
  }
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR
  if (existsSync(path.join(dataDir, 'dev.txt'))) {
    const tweets = await readSplit(dataDir, 'dev')
    const posts = tweets.map((tweet, i) => ({ id: `dev-${i}-${tweet.imageId}`, text: tweet.text, created_at: CREATED_AT, image_urls: [] }))
    return { source: `Twitter-GMNER dev split (${tweets.length} tweets) from ${dataDir}`, posts: cycle(posts, options.count) }
  }
  return { source: `project-written tweet-like mix (data set not found at ${dataDir})`, posts: syntheticTweets(options.count) }
}

/** `count` posts, repeating the list with fresh ids when it is shorter. */
function cycle (posts: readonly PostInput[], count: number): PostInput[] {
  if (posts.length === 0) throw new Error('no posts to benchmark')
  return Array.from({ length: count }, (_, i) => {
    const post = posts[i % posts.length] as PostInput
    return i < posts.length ? post : { ...post, id: `${post.id}-r${Math.floor(i / posts.length)}` }
  })
}

/**
 * The same stream with `share` of its posts replaced by exact repeats of an
 * earlier post's text under a new id, as retweets of one tweet ("RT @author:
 * text" is the same for every retweeter), copy-paste campaigns and bots give
 * a third or more of a real firehose. The first post is never a repeat.
 */
export function withReposts (posts: readonly PostInput[], share: number, seed = 45): { posts: PostInput[], repeats: number } {
  const random = seededRandom(seed)
  let repeats = 0
  const out = posts.map((post, i) => {
    if (i === 0 || random() >= share) return post
    repeats++
    const original = posts[Math.floor(random() * i)] as PostInput
    return { ...post, id: `${post.id}-repost`, text: original.text }
  })
  return { posts: out, repeats }
}

/** The posts as the pipeline's work items, as a Kafka consumer would hand them in (four partitions). */
export function postWorks (posts: readonly PostInput[]): PostWork[] {
  return posts.map((post, i) => newPostWork(PostSchema.parse(post), { topic: 'bench', partition: i % 4, offset: String(i) }))
}

export interface ImagePlan {
  /** Per post: the index of its image (posts without one: null). */
  imageOf: Array<number | null>
  /** Distinct images used. */
  unique: number
  withImage: number
  repeats: number
}

/**
 * Gives `share` of the posts an image; `repeatShare` of those reuse an image
 * an earlier post already had (chosen uniformly among the earlier ones).
 */
export function planImages (count: number, options: { share: number, repeatShare: number, seed?: number }): ImagePlan {
  const random = seededRandom(options.seed ?? 30)
  const imageOf: Array<number | null> = []
  let unique = 0
  let repeats = 0
  let withImage = 0
  for (let i = 0; i < count; i++) {
    if (random() >= options.share) { imageOf.push(null); continue }
    withImage++
    if (unique > 0 && random() < options.repeatShare) {
      imageOf.push(Math.floor(random() * unique))
      repeats++
    } else {
      imageOf.push(unique++)
    }
  }
  return { imageOf, unique, withImage, repeats }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      posts: { type: 'string', default: '1500' },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      reposts: { type: 'string', default: '0' }
    }
  })
  const reposts = Number(values.reposts)
  if (values.out === undefined || !(reposts >= 0 && reposts < 1)) {
    console.error('usage: node dist/bench/posts.js --out FILE [--posts N] [--data DIR] [--reposts SHARE (0 <= SHARE < 1)]')
    process.exit(2)
  }
  const loaded = await loadBenchPosts({ dataDir: values.data, count: Number(values.posts) })
  const mixed = withReposts(loaded.posts, reposts)
  writeFileSync(values.out, mixed.posts.map((post) => JSON.stringify(post)).join('\n') + '\n')
  const distinct = new Set(mixed.posts.map((post) => post.text)).size
  console.log(`wrote ${mixed.posts.length} posts (${loaded.source}; ${mixed.repeats} replaced by an earlier post's text, ${distinct} distinct texts) to ${values.out}`)
}
