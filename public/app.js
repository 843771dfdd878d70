/* global document, window, fetch, URL, URLSearchParams, setTimeout, clearTimeout, AbortController, localStorage */
// The entity viewer, built for monitoring: a search box, type and entity
// filters, a date range (presets relative to the API's clock, or custom, in
// UTC), a mentions-over-time chart, the live list of posts with their
// entities (each grounded entity's box drawn on the image) and a link to the
// original post, an entity card, "mentioned together with", a watchlist with
// spike badges, trending, older posts a page at a time, and export of the
// whole filtered result (the server streams it). Plain browser JavaScript
// against the /api/v1 endpoints of the same server; no build step, no
// third-party code. Page parameters (all shareable in the URL): q, text (post
// text: "phrases", AND/OR/NOT, -word), entity,
// brand (a brand with its products), type=PER,ORG, has_box=true,
// range=1h|6h|24h|7d|30d or from/to (ISO, UTC), window (trending),
// refresh=SECONDS (default 5), at=ISO-TIME pins "now", min_count (trending;
// the server's default, 3, when absent).

import { drawTimeline, formatUtc, plural } from './chart.js'
import { keepLabelsInside } from './labels.js'

const params = new URLSearchParams(window.location.search)
const REFRESH_MS = Math.max(1, Number(params.get('refresh') ?? '5') || 5) * 1000
const AT = params.get('at')
const MIN_COUNT = params.get('min_count')
/** While the server cannot be reached, retry this often (or at the refresh interval, if shorter). */
const RETRY_MS = Math.min(REFRESH_MS, 3000)
const TYPES = ['PER', 'LOC', 'ORG', 'OTHER']
const PRESETS = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000 }
const WATCH_KEY = 'groundstream.watchlist'
/** Posts per page of the list ("Load older posts" adds one). */
const PAGE = 30
/** The API's largest posts page. */
const MAX_PAGE = 100

const $ = (selector) => document.querySelector(selector)
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value
    else if (key === 'dataset') Object.assign(node.dataset, value)
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value)
    else node.setAttribute(key, value)
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child)
  return node
}

const state = {
  q: params.get('q') ?? '',
  text: params.get('text') ?? '',
  types: new Set((params.get('type') ?? TYPES.join(',')).split(',').filter((t) => TYPES.includes(t))),
  entity: params.get('entity') ?? '',
  brand: params.get('brand') ?? '',
  hasBox: params.get('has_box') === 'true',
  window: params.get('window') ?? '1h',
  range: params.get('from') !== null || params.get('to') !== null ? 'custom' : (params.get('range') ?? '24h'),
  from: params.get('from') ?? '',
  to: params.get('to') ?? '',
  /** The API's clock (or ?at=): presets are relative to it. */
  now: AT,
  posts: [],
  /** The list's cursor for older posts (null: nothing older), and how many posts match. */
  next: null,
  total: { value: 0, relation: 'eq' },
  /** Posts the list keeps showing across refreshes (grows with "Load older posts"). */
  wanted: PAGE,
  /** The filters the list was loaded for: new filters start again from the newest page. */
  listKey: null
}

function readWatchlist () {
  try {
    const list = JSON.parse(localStorage.getItem(WATCH_KEY) ?? '[]')
    return Array.isArray(list) ? list.filter((e) => typeof e === 'string').slice(0, 50) : []
  } catch {
    return []
  }
}

function writeWatchlist (list) {
  localStorage.setItem(WATCH_KEY, JSON.stringify(list))
}

/** The range as ISO times; custom inputs are read as UTC. */
function rangeTimes () {
  if (state.range === 'custom') {
    const asUtc = (text) => (text === '' ? null : new Date(text.endsWith('Z') ? text : `${text}Z`))
    const from = asUtc(state.from)
    const to = asUtc(state.to)
    return { from: from && !Number.isNaN(from.getTime()) ? from.toISOString() : null, to: to && !Number.isNaN(to.getTime()) ? to.toISOString() : null }
  }
  const now = new Date(state.now ?? Date.now())
  return { from: new Date(now.getTime() - (PRESETS[state.range] ?? PRESETS['24h'])).toISOString(), to: now.toISOString() }
}

/** Filters of the list, the chart and the card. */
function filterQuery ({ withRange = true } = {}) {
  const q = new URLSearchParams()
  if (state.q.trim() !== '') q.set('q', state.q.trim())
  if (state.text.trim() !== '') q.set('text', state.text.trim())
  if (state.types.size > 0 && state.types.size < TYPES.length) q.set('type', [...state.types].join(','))
  if (state.entity.trim() !== '') q.set('entity', state.entity.trim())
  if (state.brand.trim() !== '') q.set('brand', state.brand.trim())
  if (state.hasBox) q.set('has_box', 'true')
  if (withRange) {
    const { from, to } = rangeTimes()
    if (from) q.set('from', from)
    if (to) q.set('to', to)
  }
  return q
}

function shareableQuery () {
  const q = filterQuery({ withRange: false })
  if (state.range === 'custom') {
    if (state.from) q.set('from', state.from)
    if (state.to) q.set('to', state.to)
  } else if (state.range !== '24h') q.set('range', state.range)
  if (state.window !== '1h') q.set('window', state.window)
  for (const key of ['refresh', 'at', 'min_count']) if (params.get(key)) q.set(key, params.get(key))
  return q
}

async function getJson (path, query, signal) {
  const response = await fetch(`${path}?${query.toString()}`, { signal, headers: { accept: 'application/json' } })
  const body = await response.json()
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`)
  return body
}

/** The post text with each mention wrapped, using the mentions' character offsets. */
// What a mention was linked to: title, one-line description, id and brand; empty when not linked.
function linkLine (entity, prefix) {
  if (!entity.canonical_id) return ''
  const description = entity.canonical_description ? ` — ${entity.canonical_description}` : ''
  const brand = productBrand(entity) ? ` · brand: ${entity.brand}` : ''
  return `${prefix}${entity.canonical_title ?? entity.canonical_id}${description} (${entity.canonical_id})${brand}`
}

/** The brand a mention belongs to when it is not the brand itself (a product, a store); null otherwise. */
function productBrand (entity) {
  if (!entity.brand) return null
  return entity.brand === (entity.canonical_title ?? entity.text) ? null : entity.brand
}

/** An entity summary's name, after its brand when it is a product's: `Apple · iPhone 15`. */
function brandedName (summary) {
  const name = summary.text ?? summary.entity
  const brand = productBrand(summary)
  return brand === null ? name : `${brand} · ${name}`
}

/** A button that filters by the brand (its own mentions and its products'). */
function brandButton (brand, label = brand) {
  return el('button', { type: 'button', class: 'brand', dataset: { brand }, title: `filter by the brand ${brand} and its products`, onclick: () => chooseBrand(brand) }, label)
}

function renderText (text, entities) {
  const p = el('p', { class: 'text' })
  const spans = [...entities].filter((e) => e.start >= 0 && e.end <= text.length && e.start < e.end).sort((a, b) => a.start - b.start)
  let at = 0
  for (const entity of spans) {
    if (entity.start < at) continue
    p.append(text.slice(at, entity.start))
    p.append(el('mark', { class: `mention ${entity.type}`, title: `${entity.type} · ${(entity.score * 100).toFixed(0)}%${entity.mention_kind && entity.mention_kind !== 'text' ? ` · ${entity.mention_kind}` : ''}${linkLine(entity, ' · ')}` }, text.slice(entity.start, entity.end)))
    at = entity.end
  }
  p.append(text.slice(at))
  return p
}

/** The image, with one labelled box per grounded entity (boxes are normalised 0..1). */
function renderImage (post) {
  if (!post.image || !post.image.url || post.image.status !== 'ok') {
    return post.image && post.image.url ? el('p', { class: 'image-status' }, `image: ${post.image.status}`) : null
  }
  const figure = el('div', { class: 'figure' })
  const img = el('img', { src: post.image.url, alt: `image of post ${post.post_id}`, loading: 'lazy', referrerpolicy: 'no-referrer' })
  figure.append(img)
  for (const entity of post.entities) {
    if (!entity.box) continue
    const box = el('div', { class: `box ${entity.type}`, dataset: { entity: entity.normalised, type: entity.type }, title: entity.box.reason ?? '' },
      el('span', { class: 'label' }, `${entity.text} · ${entity.type}`))
    box.style.left = `${(entity.box.x * 100).toFixed(3)}%`
    box.style.top = `${(entity.box.y * 100).toFixed(3)}%`
    box.style.width = `${(entity.box.w * 100).toFixed(3)}%`
    box.style.height = `${(entity.box.h * 100).toFixed(3)}%`
    figure.append(box)
  }
  keepLabelsInside(figure)
  return figure
}

function chooseEntity (normalised) {
  state.entity = normalised
  $('#entity').value = normalised
  refresh()
}

function chooseBrand (brand) {
  state.brand = brand
  $('#brand').value = brand
  refresh()
}

function safeLink (url) {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null
  } catch {
    return null
  }
}

/** A mention's chip (filters by the entity), after its brand ("Apple · iPhone 15") when it is a product's. */
function renderChip (e) {
  const chip = el('button', { type: 'button', class: `chip ${e.type}`, dataset: { entity: e.normalised }, onclick: () => chooseEntity(e.normalised), title: linkLine(e, '') },
    `${e.text} `, el('small', {}, e.type), e.box ? ' ▣' : '')
  const brand = productBrand(e)
  return brand === null ? chip : el('span', { class: 'branded' }, brandButton(brand, `${brand} ·`), chip)
}

function renderPost (post) {
  const chips = el('div', { class: 'entities' }, ...post.entities.map(renderChip))
  const link = post.url ? safeLink(post.url) : null
  return el('article', { class: 'post', dataset: { postId: post.post_id } },
    el('div', { class: 'meta' },
      el('span', {}, post.author_handle ? `@${post.author_handle}` : post.post_id),
      el('span', { class: 'right' },
        el('time', { datetime: post.created_at }, `${formatUtc(post.created_at)} UTC`),
        link === null ? null : el('a', { class: 'post-link', href: link, target: '_blank', rel: 'noopener noreferrer', title: 'open the original post' }, 'original ↗'))),
    renderText(post.text, post.entities),
    renderImage(post),
    chips)
}

/** The selected entity: canonical identity when linked, type, counts in the range, watch toggle. */
function renderCard (entity, first, timeline, together, trending) {
  const card = $('#entity-card')
  if (first === null) {
    card.replaceChildren(el('h2', {}, entity), el('p', { class: 'empty' }, 'no mentions in this range'))
    card.hidden = false
    return
  }
  const e = first.entity
  const watched = readWatchlist().includes(entity)
  const rising = trending.entities.find((t) => t.entity === entity)
  const facts = [
    ['type', el('span', { class: `chip ${e.type}` }, e.type)],
    ['mentions', String(timeline.total)],
    ['posts', String(together.posts_considered)],
    ['trending', rising ? `${rising.current} vs ${rising.previous} (${state.window})` : '—']
  ]
  if (e.brand) facts.push(['brand', brandButton(e.brand)])
  if (e.canonical_id) facts.push(['canonical id', e.canonical_id])
  if (e.mention_kind) facts.push(['mention kind', e.mention_kind])
  if (e.knowledge_source) facts.push(['source', e.knowledge_source])
  // canonical_description and mention_kind appear once the linker writes them (optional fields).
  card.replaceChildren(...[
    el('h2', {}, el('span', { class: 'title' }, e.canonical_title ?? e.text),
      el('button', { type: 'button', id: 'watch-toggle', 'aria-pressed': String(watched), onclick: () => toggleWatch(entity) }, watched ? '★ watching' : '☆ watch')),
    e.canonical_description ? el('p', { class: 'description' }, e.canonical_description) : null,
    el('dl', {}, ...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', { dataset: { fact: term } }, value)]))
  ].filter((node) => node !== null))
  card.hidden = false
}

function toggleWatch (entity) {
  const list = readWatchlist()
  writeWatchlist(list.includes(entity) ? list.filter((e) => e !== entity) : [...list, entity])
  refresh()
}

/**
 * Spike: the last hour has at least 3 mentions and at least 3 times both the
 * hour before it and the hourly average of the 23 hours before it.
 */
function spikeOf (timeline) {
  const counts = timeline.buckets.map((b) => b.count)
  const last = counts[counts.length - 1] ?? 0
  const previous = counts[counts.length - 2] ?? 0
  const earlier = counts.slice(0, -1)
  const average = earlier.length === 0 ? 0 : earlier.reduce((s, c) => s + c, 0) / earlier.length
  const baseline = Math.max(previous, average, 1 / 3)
  return { last, previous, average, ratio: last / baseline, spike: last >= 3 && last >= 3 * baseline }
}

async function renderWatchlist (signal) {
  const list = readWatchlist()
  if (list.length === 0) {
    $('#watch-list').replaceChildren(el('li', { class: 'empty' }, 'select an entity and press ☆ watch'))
    return
  }
  const now = new Date(state.now ?? Date.now())
  const hour = 3_600_000
  const end = new Date(Math.ceil(now.getTime() / hour) * hour)
  const rows = await Promise.all(list.map(async (entity) => {
    const query = new URLSearchParams({ entity, from: new Date(end.getTime() - 24 * hour).toISOString(), to: end.toISOString(), interval: '1h' })
    const timeline = await getJson('/api/v1/timeline', query, signal)
    return { entity, ...spikeOf(timeline) }
  }))
  $('#watch-list').replaceChildren(...rows.map((row) => el('li', { dataset: { entity: row.entity, spike: String(row.spike) } },
    el('button', { type: 'button', onclick: () => chooseEntity(row.entity) }, row.entity),
    ' ', el('span', { class: 'counts' }, `${row.last} this hour · ${row.previous} the hour before · ${row.average.toFixed(1)}/h over the day`),
    row.spike ? el('span', { class: 'badge spike', title: 'spike: at least 3 mentions and 3× both the hour before and the day\'s hourly average' }, `▲ ×${row.ratio.toFixed(0)}`) : null,
    el('button', { type: 'button', class: 'unwatch', title: `stop watching ${row.entity}`, onclick: () => toggleWatch(row.entity) }, '×'))))
}

/** The newest `count` posts matching `query`, read page by page with the API's cursor. */
async function fetchPosts (query, count, signal) {
  const posts = []
  let next = null
  let total = { value: 0, relation: 'eq' }
  do {
    const page = new URLSearchParams(query)
    page.set('size', String(Math.min(MAX_PAGE, count - posts.length)))
    if (next !== null) page.set('cursor', next)
    const answer = await getJson('/api/v1/posts', page, signal)
    posts.push(...answer.posts)
    next = answer.next
    total = answer.total
  } while (next !== null && posts.length < count)
  return { posts, next, total }
}

function renderPosts () {
  $('#posts').replaceChildren(...(state.posts.length > 0 ? state.posts.map(renderPost) : [el('p', { class: 'empty' }, 'No posts match these filters.')]))
  const total = `${state.total.relation === 'gte' ? 'at least ' : ''}${state.total.value}`
  $('#posts-count').textContent = `${state.posts.length} of ${total} ${state.total.value === 1 ? 'post' : 'posts'} shown`
  $('#load-older').hidden = state.next === null
}

/** The export links: the whole result of the current filters, streamed by the server. */
function updateExportLinks () {
  for (const format of ['csv', 'jsonl']) {
    const link = $(`#export-${format}`)
    if (state.types.size === 0) {
      link.removeAttribute('href')
      continue
    }
    const query = filterQuery()
    query.set('format', format)
    link.href = `/api/v1/export?${query}`
  }
}

/** One more page of older posts, after the last one shown. */
async function loadOlder () {
  const cursor = state.next
  const key = state.listKey
  if (cursor === null) return
  const button = $('#load-older')
  button.disabled = true
  try {
    const query = filterQuery()
    query.set('size', String(PAGE))
    query.set('cursor', cursor)
    const answer = await getJson('/api/v1/posts', query)
    // A refresh in the meantime loaded another list: this page belongs to none.
    if (state.listKey !== key || state.next !== cursor) return
    state.posts = [...state.posts, ...answer.posts]
    state.next = answer.next
    state.total = answer.total
    state.wanted = Math.max(state.wanted, state.posts.length)
    renderPosts()
  } catch (error) {
    if (error instanceof TypeError) setOffline(true)
    else $('#status').textContent = `error: ${error.message}`
  } finally {
    button.disabled = false
  }
}

let controller = null
let timer = null
/** When the data on screen was last loaded (null: never). */
let lastLoaded = null

/** The banner saying the server cannot be reached and the data on screen is stale; hidden again on the next answer. */
function setOffline (offline) {
  const banner = $('#offline')
  if (!offline) {
    banner.hidden = true
    delete document.body.dataset.stale
    return
  }
  const since = lastLoaded === null ? 'nothing loaded yet' : `showing data from ${lastLoaded.toISOString().slice(11, 16)} UTC`
  banner.textContent = `Cannot reach the groundstream server at ${window.location.origin}; ${since}. Retrying…`
  banner.hidden = false
  document.body.dataset.stale = 'true'
  $('#status').textContent = `offline · retrying every ${RETRY_MS / 1000}s`
}

async function refresh () {
  clearTimeout(timer)
  controller?.abort()
  controller = new AbortController()
  const signal = controller.signal
  const shareable = shareableQuery()
  window.history.replaceState(null, '', `${window.location.pathname}${shareable.size > 0 ? `?${shareable}` : ''}`)
  try {
    if (AT === null) state.now = (await getJson('/api/v1/extent', new URLSearchParams(), signal)).now
    updateExportLinks()
    const watch = renderWatchlist(signal)
    // Awaited below; when another request fails first, its failure is that one's (no unhandled rejection).
    watch.catch(() => {})
    // The list restarts from the newest page when the filters or the range change.
    const listKey = `${filterQuery({ withRange: false })}|${state.range}|${state.from}|${state.to}`
    if (listKey !== state.listKey) {
      state.listKey = listKey
      state.wanted = PAGE
    }
    if (state.types.size === 0) {
      state.posts = []
      state.next = null
      state.total = { value: 0, relation: 'eq' }
      $('#posts').replaceChildren(el('p', { class: 'empty' }, 'No type selected.'))
      $('#posts-count').textContent = ''
      $('#load-older').hidden = true
      $('#trending-list').replaceChildren()
      $('#timeline-chart').replaceChildren()
      $('#entity-card').hidden = true
      $('#together').hidden = true
    } else {
      const timelineQuery = filterQuery()
      // The server's min_count (3) unless the page asks for another: 1 would list every "1 vs 0".
      const trendingQuery = new URLSearchParams({ window: state.window, size: '10' })
      if (MIN_COUNT !== null) trendingQuery.set('min_count', MIN_COUNT)
      if (state.types.size > 0 && state.types.size < TYPES.length) trendingQuery.set('type', [...state.types].join(','))
      if (state.brand.trim() !== '') trendingQuery.set('brand', state.brand.trim())
      trendingQuery.set('at', state.now ?? new Date().toISOString())
      const [posts, timeline, trending] = await Promise.all([
        fetchPosts(filterQuery(), state.wanted, signal),
        getJson('/api/v1/timeline', timelineQuery, signal),
        getJson('/api/v1/trending', trendingQuery, signal)
      ])
      state.posts = posts.posts
      state.next = posts.next
      state.total = posts.total
      renderPosts()
      drawTimeline($('#timeline-chart'), timeline)
      $('#timeline-total').textContent = `${plural(timeline.total, 'mention')} · per ${timeline.interval} · ${formatUtc(timeline.from)} – ${formatUtc(timeline.to)} UTC`
      $('#trending-list').replaceChildren(...(trending.entities.length > 0
        ? trending.entities.map((e) => el('li', { dataset: { entity: e.entity } },
          el('button', { type: 'button', onclick: () => chooseEntity(e.entity) }, el('span', { class: `chip ${e.type ?? 'OTHER'}` }, brandedName(e))),
          ' ', el('span', { class: 'counts', title: `${plural(e.current, 'mention')} in the last ${state.window}, ${e.previous} in the ${state.window} before` }, `${e.current} vs ${e.previous}`)))
        : [el('li', { class: 'empty' }, 'nothing rising')]))
      const entity = state.entity.trim().toLowerCase()
      if (entity === '') {
        $('#entity-card').hidden = true
        $('#together').hidden = true
      } else {
        const { from, to } = rangeTimes()
        const range = new URLSearchParams()
        if (from) range.set('from', from)
        if (to) range.set('to', to)
        const withEntity = new URLSearchParams(range)
        withEntity.set('entity', entity)
        const togetherQuery = new URLSearchParams(withEntity)
        togetherQuery.set('size', '10')
        const cardQuery = new URLSearchParams(withEntity)
        cardQuery.set('size', '1')
        const [mentions, entityTimeline, together] = await Promise.all([
          getJson('/api/v1/mentions', cardQuery, signal),
          getJson('/api/v1/timeline', withEntity, signal),
          getJson('/api/v1/cooccurring', togetherQuery, signal)
        ])
        renderCard(entity, mentions.mentions[0] ?? null, entityTimeline, together, trending)
        $('#together-list').replaceChildren(...(together.entities.length > 0
          ? together.entities.map((e) => el('li', { dataset: { entity: e.entity } },
            el('button', { type: 'button', onclick: () => chooseEntity(e.entity) }, el('span', { class: `chip ${e.type ?? 'OTHER'}` }, brandedName(e))),
            ' ', el('span', { class: 'counts' }, plural(e.posts, 'post'))))
          : [el('li', { class: 'empty' }, 'nothing else in its posts')]))
        $('#together').hidden = false
      }
    }
    await watch
    $('#status').textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC · refreshes every ${REFRESH_MS / 1000}s`
    document.body.dataset.loaded = 'true'
    lastLoaded = new Date()
    setOffline(false)
  } catch (error) {
    if (signal.aborted) return
    // fetch rejects with a TypeError when no answer came at all (server down, network gone).
    if (error instanceof TypeError) {
      setOffline(true)
      timer = setTimeout(refresh, RETRY_MS)
      return
    }
    $('#status').textContent = `error: ${error.message}`
  }
  timer = setTimeout(refresh, REFRESH_MS)
}

function init () {
  for (const box of document.querySelectorAll('#types input')) {
    box.checked = state.types.has(box.value)
    box.addEventListener('change', () => {
      if (box.checked) state.types.add(box.value)
      else state.types.delete(box.value)
      refresh()
    })
  }
  const debounced = (input, apply) => {
    let debounce = null
    input.addEventListener('input', () => {
      clearTimeout(debounce)
      debounce = setTimeout(() => { apply(input.value); refresh() }, 250)
    })
  }
  const entity = $('#entity')
  entity.value = state.entity
  debounced(entity, (value) => { state.entity = value })
  const brand = $('#brand')
  brand.value = state.brand
  debounced(brand, (value) => { state.brand = value })
  const q = $('#q')
  q.value = state.q
  debounced(q, (value) => { state.q = value })
  const text = $('#text')
  text.value = state.text
  debounced(text, (value) => { state.text = value })
  $('#filters').addEventListener('submit', (event) => { event.preventDefault(); state.entity = entity.value; state.brand = brand.value; state.q = q.value; state.text = text.value; refresh() })
  $('#has-box').checked = state.hasBox
  $('#has-box').addEventListener('change', (event) => { state.hasBox = event.target.checked; refresh() })
  $('#window').value = state.window
  $('#window').addEventListener('change', (event) => { state.window = event.target.value; refresh() })
  const range = $('#range')
  range.value = state.range in PRESETS || state.range === 'custom' ? state.range : '24h'
  $('#custom-range').hidden = state.range !== 'custom'
  $('#from').value = state.from.replace(/Z$/u, '').slice(0, 16)
  $('#to').value = state.to.replace(/Z$/u, '').slice(0, 16)
  range.addEventListener('change', () => {
    state.range = range.value
    $('#custom-range').hidden = state.range !== 'custom'
    if (state.range === 'custom' && state.from === '' && state.to === '') {
      // Start the custom range from the last 24 hours, in UTC.
      const now = new Date(state.now ?? Date.now())
      state.from = new Date(now.getTime() - PRESETS['24h']).toISOString().slice(0, 16)
      state.to = now.toISOString().slice(0, 16)
      $('#from').value = state.from
      $('#to').value = state.to
    }
    refresh()
  })
  for (const id of ['from', 'to']) $(`#${id}`).addEventListener('change', (event) => { state[id] = event.target.value; refresh() })
  $('#clear').addEventListener('click', () => {
    state.types = new Set(TYPES)
    state.entity = ''
    state.brand = ''
    state.q = ''
    state.text = ''
    state.hasBox = false
    for (const box of document.querySelectorAll('#types input')) box.checked = true
    entity.value = ''
    brand.value = ''
    q.value = ''
    text.value = ''
    $('#has-box').checked = false
    refresh()
  })
  $('#load-older').addEventListener('click', () => { loadOlder() })
  refresh()
}

init()
