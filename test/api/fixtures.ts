// The API and viewer tests' fixture: eleven posts over two hours with a
// story the tests check exactly (one entity rising, one flat, one falling,
// co-occurrences, three images with boxes), placed before a fixed instant
// T0, turned into entity documents by the demo's functions (the sink's own
// ids and normalisation), plus the small PNG images (drawn with sharp) the
// boxes point at. A second, small fixture (BRAND_POSTS) has brands with their
// products for the brand tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Client } from '@elastic/elasticsearch'
import { demoDocuments, dropDemoIndex, loadDemoIndex, type DemoPost } from '../../src/api/demo.js'
import type { EntityDocument } from '../../src/contracts/index.js'

/** All fixture posts lie in the two hours before this instant. */
export const T0 = new Date('2026-01-10T12:00:00.000Z')

const ACME: [string, string, string] = ['Q-acme', 'Acme Corporation', 'Fictional maker of everything, the demo brand']
const PARIS: [string, string, string] = ['Q90', 'Paris', 'Capital city of France']

/**
 * The story the tests check:
 * - acme: 6 mentions in the last hour, 1 in the hour before (trending);
 * - paris: 3 and 3 (flat); old news: 0 and 3 (falling);
 * - acme shares 4 posts with paris and 2 with alice smith;
 * - two posts carry images with boxes (acme logo, alice smith; the eiffel tower).
 */
export const FIXTURE_POSTS: readonly DemoPost[] = Object.freeze([
  { id: 'p01', minutesBefore: 5, text: 'Acme opens a new store in Paris today', handle: 'citynews', url: 'https://posts.example/citynews/p01', image: 'storefront.png', mentions: [{ text: 'Acme', type: 'ORG', score: 0.97, canonical: ACME, box: { x: 0.08, y: 0.2, w: 0.38, h: 0.3, label: 'logo' } }, { text: 'Paris', type: 'LOC', score: 0.93, canonical: PARIS }] },
  { id: 'p02', minutesBefore: 12, text: 'Alice Smith joins Acme as CEO', handle: 'bizwire', image: 'portrait.png', mentions: [{ text: 'Alice Smith', type: 'PER', score: 0.95, box: { x: 0.55, y: 0.15, w: 0.3, h: 0.7, label: 'person' } }, { text: 'Acme', type: 'ORG', score: 0.91, canonical: ACME, box: { x: 0.05, y: 0.7, w: 0.35, h: 0.2, label: 'logo' } }] },
  { id: 'p03', minutesBefore: 20, text: 'Shares of #Acme jump after the Paris launch', handle: 'markets', mentions: [{ text: '#Acme', type: 'ORG', score: 0.88, canonical: ACME }, { text: 'Paris', type: 'LOC', score: 0.9, canonical: PARIS }] },
  { id: 'p04', minutesBefore: 31, text: 'ACME and Alice Smith on the evening news', handle: 'tvguide', mentions: [{ text: 'ACME', type: 'ORG', score: 0.62, canonical: ACME }, { text: 'Alice Smith', type: 'PER', score: 0.9 }] },
  { id: 'p05', minutesBefore: 44, text: 'Acme hiring in Paris and Lyon', handle: 'jobs', mentions: [{ text: 'Acme', type: 'ORG', score: 0.93, canonical: ACME }, { text: 'Paris', type: 'LOC', score: 0.92, canonical: PARIS }, { text: 'Lyon', type: 'LOC', score: 0.9 }] },
  { id: 'p06', minutesBefore: 55, text: 'Why everyone talks about Acme', handle: 'blogger', mentions: [{ text: 'Acme', type: 'ORG', score: 0.85, canonical: ACME }] },
  { id: 'p07', minutesBefore: 58, text: 'The Eiffel Tower at night', handle: 'travel', image: 'tower.png', mentions: [{ text: 'Eiffel Tower', type: 'LOC', score: 0.96, box: { x: 0.35, y: 0.05, w: 0.3, h: 0.9, label: 'tower' } }] },
  { id: 'p08', minutesBefore: 70, text: 'Old News about the merger', handle: 'archive', mentions: [{ text: 'Old News', type: 'OTHER', score: 0.55 }] },
  { id: 'p09', minutesBefore: 80, text: 'Old News again from Paris', handle: 'archive', mentions: [{ text: 'Old News', type: 'OTHER', score: 0.6 }, { text: 'Paris', type: 'LOC', score: 0.9, canonical: PARIS }] },
  { id: 'p10', minutesBefore: 95, text: 'Old News, Paris, and a first Acme rumour', handle: 'archive', mentions: [{ text: 'Old News', type: 'OTHER', score: 0.58 }, { text: 'Paris', type: 'LOC', score: 0.91, canonical: PARIS }, { text: 'Acme', type: 'ORG', score: 0.8, canonical: ACME }] },
  { id: 'p11', minutesBefore: 110, text: 'Weekend in Paris', handle: 'travel', mentions: [{ text: 'Paris', type: 'LOC', score: 0.94, canonical: PARIS }] }
])

export function fixtureDocuments (mediaBaseUrl: string): EntityDocument[] {
  return demoDocuments(FIXTURE_POSTS, mediaBaseUrl, T0)
}

const APPLE: [string, string, string] = ['gs:apple', 'Apple', 'American technology company']
const IPHONE: [string, string, string] = ['gs:iphone', 'iPhone', "Apple's smartphone line"]
const AIRPODS: [string, string, string] = ['gs:airpods', 'AirPods', "Apple's wireless earbuds"]
const NIKE: [string, string, string] = ['gs:nike', 'Nike', 'American sportswear company']
const AIR_MAX: [string, string, string] = ['gs:air-max', 'Air Max', "Nike's running shoes"]

/**
 * Apple: 4 mentions (itself and its products) in the last hour, 1 the hour
 * before (rising); Nike: 2 and 3 (not rising); Paris has no brand.
 */
export const BRAND_POSTS: readonly DemoPost[] = Object.freeze([
  { id: 'b01', minutesBefore: 5, text: 'New iPhone 15 review from Paris', mentions: [{ text: 'iPhone 15', type: 'OTHER', canonical: IPHONE, brand: 'Apple' }, { text: 'Paris', type: 'LOC', canonical: PARIS }] },
  { id: 'b02', minutesBefore: 10, text: 'Apple shares up after the iPhone launch', mentions: [{ text: 'Apple', type: 'ORG', canonical: APPLE }, { text: 'iPhone', type: 'OTHER', canonical: IPHONE, brand: 'Apple' }] },
  { id: 'b03', minutesBefore: 20, text: 'AirPods battery lasts all day', mentions: [{ text: 'AirPods', type: 'OTHER', canonical: AIRPODS, brand: 'Apple' }] },
  { id: 'b04', minutesBefore: 40, text: 'Nike Air Max restock in Paris', mentions: [{ text: 'Nike', type: 'ORG', canonical: NIKE }, { text: 'Air Max', type: 'OTHER', canonical: AIR_MAX, brand: 'Nike' }, { text: 'Paris', type: 'LOC', canonical: PARIS }] },
  { id: 'b05', minutesBefore: 70, text: 'Air Max Day is coming', mentions: [{ text: 'Air Max', type: 'OTHER', canonical: AIR_MAX, brand: 'Nike' }] },
  { id: 'b06', minutesBefore: 80, text: 'Queue at the Apple store', mentions: [{ text: 'Apple', type: 'ORG', canonical: APPLE }] },
  { id: 'b07', minutesBefore: 100, text: 'Nike and Air Max at the marathon', mentions: [{ text: 'Nike', type: 'ORG', canonical: NIKE }, { text: 'Air Max', type: 'OTHER', canonical: AIR_MAX, brand: 'Nike' }, { text: 'marathon', type: 'OTHER' }] }
])

/** The brand fixture's documents (test/api/brand.test.ts, the viewer's brand test). */
export function brandDocuments (mediaBaseUrl: string): EntityDocument[] {
  return demoDocuments(BRAND_POSTS, mediaBaseUrl, T0)
}

export function elasticsearchUrl (): string | null {
  return process.env.ELASTICSEARCH_URL ?? process.env.GS_ELASTICSEARCH_URL ?? null
}

export async function createFixtureIndex (client: Client, index: string, mediaBaseUrl: string, docsOf: (mediaBaseUrl: string) => EntityDocument[] = fixtureDocuments): Promise<EntityDocument[]> {
  const docs = docsOf(mediaBaseUrl)
  await loadDemoIndex(client, index, docs)
  return docs
}

export const dropFixtureIndex = dropDemoIndex

const SHAPES: Readonly<Record<string, string>> = Object.freeze({
  // A storefront with a sign where the "logo" box is.
  'storefront.png': '<rect width="640" height="400" fill="#dbe4ee"/><rect x="40" y="60" width="560" height="320" fill="#adb5bd"/><rect x="51" y="80" width="243" height="120" rx="10" fill="#1864ab"/><rect x="330" y="230" width="120" height="150" fill="#495057"/>',
  // A person on the right, a logo badge bottom left.
  'portrait.png': '<rect width="640" height="400" fill="#f1f3f5"/><circle cx="448" cy="130" r="60" fill="#e8590c"/><rect x="372" y="190" width="152" height="260" rx="40" fill="#d9480f"/><rect x="38" y="285" width="220" height="70" rx="8" fill="#1864ab"/>',
  // A tower in the middle.
  'tower.png': '<rect width="640" height="400" fill="#1c2541"/><polygon points="320,25 250,380 390,380" fill="#ced4da"/><rect x="280" y="250" width="80" height="10" fill="#868e96"/>'
})

/** Writes the fixture images into a temporary directory, removed by the returned function. */
export async function writeFixtureImages (): Promise<{ dir: string, remove: () => void }> {
  const { default: sharp } = await import('sharp')
  const dir = mkdtempSync(join(tmpdir(), 'gs-media-'))
  for (const [name, shapes] of Object.entries(SHAPES)) {
    const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400">${shapes}</svg>`)
    await sharp(svg).png().toFile(join(dir, name))
  }
  return { dir, remove: () => { rmSync(dir, { recursive: true, force: true }) } }
}
