// Entity-rich posts for end-to-end runs, written for this project: brands,
// people, places, hashtags and mentions in varied sentence shapes.
import type { PostInput } from '../../src/contracts/index.js'

const PEOPLE = ['Serena Williams', 'Tim Cook', 'Lionel Messi', 'Taylor Swift', 'Barack Obama', 'Marie Curie', 'LeBron James', 'Angela Merkel', 'Haruki Murakami', 'Kylian Mbappé']
const PLACES = ['Paris', 'London', 'Tokyo', 'New York', 'Berlin', 'Nairobi', 'Sydney', 'Madrid', 'Chicago', 'Seattle', 'Rome', 'Toronto']
const BRANDS = ['Nike', 'Apple', 'Tesla', 'Google', 'Starbucks', 'Netflix', 'Toyota', 'Adidas', 'Samsung', 'IKEA']
const SHAPES = [
  (p: string, l: string, b: string, i: number) => `Just saw ${p} at the ${b} store in ${l}! #${l.replace(/ /g, '')}${i % 9}`,
  (p: string, l: string, b: string) => `${b} announced a new office in ${l} today, says ${p}`,
  (p: string, l: string, b: string, i: number) => `@fan${i % 13} did you see ${p} in ${l}? The ${b} event was wild`,
  (p: string, l: string) => `Flying to ${l} tomorrow to watch ${p} live, so excited`,
  (_p: string, l: string, b: string) => `The ${b} queue in ${l} this morning was longer than ever`,
  (p: string) => `Reading a new biography of ${p} tonight`,
  () => 'nothing much happening today, just coffee and rain'
]

export function e2ePost (i: number, createdAt = new Date()): PostInput {
  const person = PEOPLE[i % PEOPLE.length] as string
  const place = PLACES[(i * 7) % PLACES.length] as string
  const brand = BRANDS[(i * 3) % BRANDS.length] as string
  const shape = SHAPES[i % SHAPES.length] as (p: string, l: string, b: string, i: number) => string
  return {
    id: `e2e-${String(i).padStart(6, '0')}`,
    text: shape(person, place, brand, i),
    created_at: createdAt.toISOString(),
    author: { id: `author-${i % 97}`, handle: `author${i % 97}` },
    language: 'en',
    source: 'e2e'
  }
}
