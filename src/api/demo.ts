// Demo data for the viewer and API (`groundstream serve --demo`): two hours
// of a project-written firehose about real brands, places and people, with
// the bundled sample images (samples/images) and their boxes, turned into
// entity documents with the sink's own id and normalisation functions and
// indexed under the sink's real index template. The tests' fixture (a small
// story with exact counts) uses the same functions (test/api/fixtures.ts).
import type { Client } from '@elastic/elasticsearch'
import type { EntityDocument, EntityType, NormalisedBox } from '../contracts/index.js'
import { entityIndexKey } from '../contracts/index.js'
import { documentBrand, documentId, entityIndexTemplate } from '../sinks/index.js'

const MIN = 60_000

export interface DemoMention {
  text: string
  type: EntityType
  score?: number
  /** Canonical id, title and the one-line description the linker gives. */
  canonical?: readonly [string, string, string]
  /** The brand a linked product belongs to (the link's brand); a linked ORG is its own brand. */
  brand?: string
  box?: NormalisedBox & { label?: string }
}

export interface DemoPost {
  id: string
  minutesBefore: number
  text: string
  mentions: DemoMention[]
  image?: string
  handle?: string
  /** Link to the original post. */
  url?: string
  /** Pixel size of the image (640 x 400 when absent). */
  imageSize?: [number, number]
}

const Q = Object.freeze({
  nike: ['Q483915', 'Nike, Inc.', 'American sportswear and footwear company'],
  starbucks: ['Q37158', 'Starbucks', 'American coffeehouse chain'],
  netflix: ['Q907311', 'Netflix', 'American streaming service'],
  apple: ['Q312', 'Apple Inc.', 'American technology company'],
  tesla: ['Q478214', 'Tesla, Inc.', 'American electric-vehicle maker'],
  ikea: ['Q54078', 'IKEA', 'Swedish furniture retailer'],
  nintendo: ['Q8093', 'Nintendo', 'Japanese video-game company'],
  mariokart: ['Q11168', 'Mario Kart', "Nintendo's kart-racing video-game series"],
  paris: ['Q90', 'Paris', 'Capital city of France'],
  london: ['Q84', 'London', 'Capital city of the United Kingdom'],
  berlin: ['Q64', 'Berlin', 'Capital city of Germany'],
  nyc: ['Q60', 'New York City', 'Most populous city of the United States'],
  musk: ['Q317521', 'Elon Musk', 'Businessman, head of Tesla and SpaceX'],
  messi: ['Q615', 'Lionel Messi', 'Argentine footballer'],
  swift: ['Q26876', 'Taylor Swift', 'American singer-songwriter'],
  cook: ['Q265852', 'Tim Cook', 'Chief executive of Apple']
} satisfies Record<string, readonly [string, string, string]>)

const NIKE_SIGN = { x: 0.59, y: 0.42, w: 0.17, h: 0.17, label: 'text:NIKE' }
const SHOP_SIGN = { x: 0.08, y: 0.1, w: 0.84, h: 0.29, label: 'sign' }

/**
 * Two hours of a firehose, all written by the project: Nike rises (a shoe
 * drop in Paris), Starbucks and Apple stay steady, Netflix fades after a price
 * story, and people and places come up together. Seven posts carry a bundled
 * sample image with the boxes a run draws on it.
 */
export const DEMO_POSTS: readonly DemoPost[] = Object.freeze([
  { id: 'd01', minutesBefore: 2, handle: 'sneakerwatch', text: 'Queue outside Nike on the Champs-Élysées already wraps the block #NikeDrop', image: 'nike-paris.jpg', imageSize: [776, 276], url: 'https://posts.example/sneakerwatch/d01', mentions: [{ text: 'Nike', type: 'ORG', score: 0.96, canonical: Q.nike, box: NIKE_SIGN }, { text: 'Champs-Élysées', type: 'LOC', score: 0.88 }, { text: '#NikeDrop', type: 'OTHER', score: 0.61 }] },
  { id: 'd02', minutesBefore: 4, handle: 'parisfeed', text: 'Paris police closing two lanes near the Nike store for the launch crowd', url: 'https://posts.example/parisfeed/d02', mentions: [{ text: 'Paris', type: 'LOC', score: 0.95, canonical: Q.paris }, { text: 'Nike', type: 'ORG', score: 0.93, canonical: Q.nike }] },
  { id: 'd03', minutesBefore: 7, handle: 'kicksdaily', text: 'Nike confirms the drop sold out online in 9 minutes', url: 'https://posts.example/kicksdaily/d03', mentions: [{ text: 'Nike', type: 'ORG', score: 0.97, canonical: Q.nike }] },
  { id: 'd04', minutesBefore: 9, handle: 'coffeecrawl', text: 'Morning line at Starbucks on 5th Avenue, New York is awake', image: 'starbucks-5th-avenue.jpg', imageSize: [776, 276], url: 'https://posts.example/coffeecrawl/d04', mentions: [{ text: 'Starbucks', type: 'ORG', score: 0.95, canonical: Q.starbucks, box: { x: 0.6, y: 0.43, w: 0.4, h: 0.15, label: 'text:STARBUCKS' } }, { text: '5th Avenue', type: 'LOC', score: 0.86 }, { text: 'New York', type: 'LOC', score: 0.92, canonical: Q.nyc }] },
  { id: 'd05', minutesBefore: 12, handle: 'miamisports', text: 'Lionel Messi signing shirts for fans before training in Miami', image: 'messi-fan.jpg', imageSize: [416, 276], url: 'https://posts.example/miamisports/d05', mentions: [{ text: 'Lionel Messi', type: 'PER', score: 0.97, canonical: Q.messi, box: { x: 0.3, y: 0.24, w: 0.13, h: 0.64, label: 'person' } }, { text: 'Miami', type: 'LOC', score: 0.93 }] },
  { id: 'd06', minutesBefore: 15, handle: 'retailpulse', text: 'Resale listings for the Paris Nike drop already at triple the price', url: 'https://posts.example/retailpulse/d06', mentions: [{ text: 'Paris', type: 'LOC', score: 0.92, canonical: Q.paris }, { text: 'Nike', type: 'ORG', score: 0.94, canonical: Q.nike }] },
  { id: 'd07', minutesBefore: 18, handle: 'techbrief', text: 'Tim Cook says Apple will open its next store in Berlin', url: 'https://posts.example/techbrief/d07', mentions: [{ text: 'Tim Cook', type: 'PER', score: 0.96, canonical: Q.cook }, { text: 'Apple', type: 'ORG', score: 0.95, canonical: Q.apple }, { text: 'Berlin', type: 'LOC', score: 0.94, canonical: Q.berlin }] },
  { id: 'd08', minutesBefore: 65, handle: 'gamerlog', text: 'Midnight opening at the Nintendo store in New York, Mario Kart demos all night', image: 'nintendo-store.jpg', imageSize: [760, 420], url: 'https://posts.example/gamerlog/d08', mentions: [{ text: 'Nintendo', type: 'ORG', score: 0.95, canonical: Q.nintendo, box: { x: 0.22, y: 0.18, w: 0.57, h: 0.13, label: 'text:NINTENDO' } }, { text: 'New York', type: 'LOC', score: 0.9, canonical: Q.nyc }, { text: 'Mario Kart', type: 'OTHER', score: 0.83, canonical: Q.mariokart, brand: 'Nintendo' }] },
  { id: 'd09', minutesBefore: 26, handle: 'sneakerwatch', text: 'Nike app crashed twice during the drop, support says try again', url: 'https://posts.example/sneakerwatch/d09', mentions: [{ text: 'Nike', type: 'ORG', score: 0.95, canonical: Q.nike }] },
  { id: 'd10', minutesBefore: 31, handle: 'londonlive', text: 'Taylor Swift fans camping outside Wembley in London since Tuesday', url: 'https://posts.example/londonlive/d10', mentions: [{ text: 'Taylor Swift', type: 'PER', score: 0.97, canonical: Q.swift }, { text: 'Wembley', type: 'LOC', score: 0.89 }, { text: 'London', type: 'LOC', score: 0.96, canonical: Q.london }] },
  { id: 'd11', minutesBefore: 35, handle: 'coffeecrawl', text: 'Starbucks pumpkin spice is back in London too', url: 'https://posts.example/coffeecrawl/d11', mentions: [{ text: 'Starbucks', type: 'ORG', score: 0.94, canonical: Q.starbucks }, { text: 'London', type: 'LOC', score: 0.94, canonical: Q.london }] },
  { id: 'd12', minutesBefore: 41, handle: 'evdaily', text: 'Elon Musk says the Tesla factory near Berlin will double output', url: 'https://posts.example/evdaily/d12', mentions: [{ text: 'Elon Musk', type: 'PER', score: 0.97, canonical: Q.musk }, { text: 'Tesla', type: 'ORG', score: 0.95, canonical: Q.tesla }, { text: 'Berlin', type: 'LOC', score: 0.93, canonical: Q.berlin }] },
  { id: 'd13', minutesBefore: 44, handle: 'homestyle', text: 'IKEA opened in Santiago and the queue is insane', image: 'ikea-santiago.jpg', imageSize: [760, 420], url: 'https://posts.example/homestyle/d13', mentions: [{ text: 'IKEA', type: 'ORG', score: 0.94, canonical: Q.ikea, box: SHOP_SIGN }, { text: 'Santiago', type: 'LOC', score: 0.9 }] },
  { id: 'd14', minutesBefore: 48, handle: 'kicksdaily', text: 'Who else got an L on the Nike drop', url: 'https://posts.example/kicksdaily/d14', mentions: [{ text: 'Nike', type: 'ORG', score: 0.9, canonical: Q.nike }] },
  { id: 'd15', minutesBefore: 53, handle: 'techbrief', text: 'Apple shares flat ahead of earnings', url: 'https://posts.example/techbrief/d15', mentions: [{ text: 'Apple', type: 'ORG', score: 0.94, canonical: Q.apple }] },
  { id: 'd16', minutesBefore: 57, handle: 'streamwatch', text: 'Still thinking about cancelling Netflix after the price change', url: 'https://posts.example/streamwatch/d16', mentions: [{ text: 'Netflix', type: 'ORG', score: 0.95, canonical: Q.netflix }] },
  { id: 'd17', minutesBefore: 63, handle: 'parisfeed', text: 'Rain all afternoon in Paris, museums packed', url: 'https://posts.example/parisfeed/d17', mentions: [{ text: 'Paris', type: 'LOC', score: 0.95, canonical: Q.paris }] },
  { id: 'd18', minutesBefore: 67, handle: 'coffeecrawl', text: 'Starbucks oat latte price went up again', url: 'https://posts.example/coffeecrawl/d18', mentions: [{ text: 'Starbucks', type: 'ORG', score: 0.94, canonical: Q.starbucks }] },
  { id: 'd19', minutesBefore: 72, handle: 'streamwatch', text: 'Netflix raises prices in the UK and Canada', image: 'netflix-billboard.jpg', imageSize: [760, 420], url: 'https://posts.example/streamwatch/d19', mentions: [{ text: 'Netflix', type: 'ORG', score: 0.96, canonical: Q.netflix, box: { x: 0.28, y: 0.17, w: 0.45, h: 0.14, label: 'text:NETFLIX' } }, { text: 'UK', type: 'LOC', score: 0.91 }, { text: 'Canada', type: 'LOC', score: 0.93 }] },
  { id: 'd20', minutesBefore: 76, handle: 'retailpulse', text: 'Best Buy opens Black Friday deals early this year', image: 'best-buy.jpg', imageSize: [760, 420], url: 'https://posts.example/retailpulse/d20', mentions: [{ text: 'Best Buy', type: 'ORG', score: 0.93, box: SHOP_SIGN }, { text: 'Black Friday', type: 'OTHER', score: 0.8 }] },
  { id: 'd21', minutesBefore: 81, handle: 'streamwatch', text: 'Netflix says subscribers are up despite the new prices', url: 'https://posts.example/streamwatch/d21', mentions: [{ text: 'Netflix', type: 'ORG', score: 0.95, canonical: Q.netflix }] },
  { id: 'd22', minutesBefore: 86, handle: 'techbrief', text: 'Apple and Nike extend their running watch partnership', url: 'https://posts.example/techbrief/d22', mentions: [{ text: 'Apple', type: 'ORG', score: 0.94, canonical: Q.apple }, { text: 'Nike', type: 'ORG', score: 0.93, canonical: Q.nike }] },
  { id: 'd23', minutesBefore: 92, handle: 'londonlive', text: 'Taylor Swift adds a fourth night in London', url: 'https://posts.example/londonlive/d23', mentions: [{ text: 'Taylor Swift', type: 'PER', score: 0.97, canonical: Q.swift }, { text: 'London', type: 'LOC', score: 0.95, canonical: Q.london }] },
  { id: 'd24', minutesBefore: 97, handle: 'streamwatch', text: 'Netflix price hike: what changes for the basic plan', url: 'https://posts.example/streamwatch/d24', mentions: [{ text: 'Netflix', type: 'ORG', score: 0.95, canonical: Q.netflix }] },
  { id: 'd25', minutesBefore: 103, handle: 'evdaily', text: 'Tesla deliveries in Europe beat estimates', url: 'https://posts.example/evdaily/d25', mentions: [{ text: 'Tesla', type: 'ORG', score: 0.95, canonical: Q.tesla }, { text: 'Europe', type: 'LOC', score: 0.9 }] },
  { id: 'd26', minutesBefore: 109, handle: 'coffeecrawl', text: 'Quiet Starbucks in Berlin, perfect for working', url: 'https://posts.example/coffeecrawl/d26', mentions: [{ text: 'Starbucks', type: 'ORG', score: 0.94, canonical: Q.starbucks }, { text: 'Berlin', type: 'LOC', score: 0.93, canonical: Q.berlin }] },
  { id: 'd27', minutesBefore: 114, handle: 'streamwatch', text: 'Netflix confirms price increase starting next month', url: 'https://posts.example/streamwatch/d27', mentions: [{ text: 'Netflix', type: 'ORG', score: 0.96, canonical: Q.netflix }] },
  { id: 'd28', minutesBefore: 118, handle: 'sneakerwatch', text: 'Rumours of a Nike drop in Paris this week', url: 'https://posts.example/sneakerwatch/d28', mentions: [{ text: 'Nike', type: 'ORG', score: 0.92, canonical: Q.nike }, { text: 'Paris', type: 'LOC', score: 0.93, canonical: Q.paris }] }
])

/** Entity documents of `posts`, each post placed `minutesBefore` before `t0`. */
export function demoDocuments (posts: readonly DemoPost[], mediaBaseUrl: string, t0: Date): EntityDocument[] {
  const docs: EntityDocument[] = []
  for (const post of posts) {
    const createdAt = new Date(t0.getTime() - post.minutesBefore * MIN).toISOString()
    const seen = new Map<string, number>()
    for (const mention of post.mentions) {
      const from = seen.get(mention.text) ?? 0
      const start = post.text.indexOf(mention.text, from)
      if (start < 0) throw new Error(`demo post ${post.id}: "${mention.text}" not in its text`)
      const end = start + mention.text.length
      seen.set(mention.text, end)
      docs.push({
        id: documentId(post.id, start, end),
        post_id: post.id,
        entity: {
          text: mention.text,
          normalised: entityIndexKey(mention.text),
          mention_kind: mention.text.startsWith('#') ? 'hashtag' : mention.text.startsWith('@') ? 'handle' : 'text',
          type: mention.type,
          score: mention.score ?? 0.9,
          span_score: 0.9,
          start,
          end,
          canonical_id: mention.canonical?.[0] ?? null,
          canonical_title: mention.canonical?.[1] ?? null,
          canonical_description: mention.canonical?.[2] ?? null,
          knowledge_source: mention.canonical === undefined ? null : 'catalogue',
          // The demo's links stand for catalogue links, so the sink's rule applies as it would to a run.
          brand: mention.canonical === undefined ? null : documentBrand(mention.type, { title: mention.canonical[1], source: 'catalogue', ...(mention.brand === undefined ? {} : { brand: mention.brand }) })
        },
        box: mention.box === undefined
          ? null
          : { x: mention.box.x, y: mention.box.y, w: mention.box.w, h: mention.box.h, label: mention.box.label ?? 'object', score: 0.8, reason: `matched ${mention.box.label ?? 'object'}` },
        image: post.image === undefined
          ? { url: null, width: null, height: null, status: 'none' }
          : { url: `${mediaBaseUrl}/${post.image}`, width: post.imageSize?.[0] ?? 640, height: post.imageSize?.[1] ?? 400, status: 'ok' },
        post: {
          text: post.text,
          text_length: post.text.length,
          truncated: false,
          truncated_by: [],
          created_at: createdAt,
          author_id: post.handle ?? null,
          author_handle: post.handle ?? null,
          language: 'en',
          url: post.url ?? null,
          source: 'demo'
        },
        models: { stage1: 'demo', stage2: 'demo' },
        processed_at: t0.toISOString()
      })
    }
  }
  return docs
}

/** Replaces `index` with a fresh one under the sink's template, filled with `docs`. */
export async function loadDemoIndex (client: Client, index: string, docs: readonly EntityDocument[]): Promise<readonly EntityDocument[]> {
  const template = entityIndexTemplate(index)
  await client.indices.putIndexTemplate({ name: template.name, ...template.body })
  await client.indices.delete({ index, ignore_unavailable: true })
  const response = await client.bulk({ refresh: 'wait_for', operations: docs.flatMap((doc) => [{ index: { _index: index, _id: doc.id } }, doc]) })
  if (response.errors) throw new Error(`demo bulk indexing failed: ${JSON.stringify(response.items.find((i) => i.index?.error !== undefined))}`)
  return docs
}

export async function dropDemoIndex (client: Client, index: string): Promise<void> {
  await client.indices.delete({ index, ignore_unavailable: true })
  await client.indices.deleteIndexTemplate({ name: entityIndexTemplate(index).name }).catch((error: unknown) => {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error
  })
}

