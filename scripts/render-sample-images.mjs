// Renders the images of the bundled sample posts (samples/images/): shop
// signs and shop fronts drawn from SVG with sharp, some beside the project's
// test photo of a person (test/fixtures/images, darknet's sample photos, MIT).
// Everything here is the project's own; rerun after changing a scene:
//   node scripts/render-sample-images.mjs
import { Buffer } from 'node:buffer'
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(ROOT, 'samples', 'images')
const PHOTOS = join(ROOT, 'test', 'fixtures', 'images')

const escapeXml = (text) => text.replace(/[<>&'"]/gu, (c) => `&#${c.charCodeAt(0)};`)

/** A shop front: a wall, a window, and a sign with the brand in large letters. */
function shopFront ({ brand, sign, ink, wall, width = 760, height = 420 }) {
  const fontSize = Math.min(76, Math.floor(560 / Math.max(4, brand.length) * 1.5))
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="${wall}"/>
    <rect x="60" y="40" width="${width - 120}" height="120" rx="10" fill="${sign}"/>
    <text x="${width / 2}" y="${40 + 60 + fontSize * 0.36}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="${fontSize}" fill="${ink}">${escapeXml(brand)}</text>
    <rect x="90" y="200" width="250" height="200" fill="#3d5a73"/>
    <rect x="${width - 340}" y="200" width="250" height="200" fill="#3d5a73"/>
    <rect x="${width / 2 - 45}" y="230" width="90" height="190" fill="#2b2b2b"/>
  </svg>`
}

/** The person photo on the left, a sign on a grey wall on the right. */
async function personWithSign ({ brand, sign, ink }) {
  const photo = await sharp(join(PHOTOS, 'person.jpg')).resize({ width: 416, height: 276, fit: 'fill' }).toBuffer()
  const width = 416 + 360
  const height = 276
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#8a8f96"/>
    <rect x="436" y="90" width="320" height="96" rx="8" fill="${sign}"/>
    <text x="458" y="156" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="50" fill="${ink}">${escapeXml(brand)}</text>
  </svg>`
  return sharp(Buffer.from(svg)).composite([{ input: photo, left: 0, top: 0 }])
}

const SCENES = [
  ['starbucks-5th-avenue.jpg', () => personWithSign({ brand: 'STARBUCKS', sign: '#0b5d3b', ink: '#ffffff' })],
  ['nike-paris.jpg', () => personWithSign({ brand: 'NIKE', sign: '#111111', ink: '#ffffff' })],
  ['ikea-santiago.jpg', () => sharp(Buffer.from(shopFront({ brand: 'IKEA', sign: '#0058a3', ink: '#ffda1a', wall: '#d9d4c7' })))],
  ['nintendo-store.jpg', () => sharp(Buffer.from(shopFront({ brand: 'NINTENDO', sign: '#e60012', ink: '#ffffff', wall: '#ececec' })))],
  ['best-buy.jpg', () => sharp(Buffer.from(shopFront({ brand: 'BEST BUY', sign: '#0046be', ink: '#fff200', wall: '#c9c9c9' })))],
  ['netflix-billboard.jpg', () => sharp(Buffer.from(shopFront({ brand: 'NETFLIX', sign: '#141414', ink: '#e50914', wall: '#9aa3ab' })))],
  ['messi-fan.jpg', () => sharp(join(PHOTOS, 'person.jpg'))]
]

mkdirSync(OUT, { recursive: true })
for (const [name, scene] of SCENES) {
  const image = await scene()
  await image.jpeg({ quality: 85 }).toFile(join(OUT, name))
  process.stdout.write(`${join('samples', 'images', name)}\n`)
}
