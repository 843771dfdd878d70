/* global document, window, fetch, URLSearchParams, setTimeout, clearTimeout, AbortController */
// The entity viewer: a live list of recent posts with their entities (the
// image with each grounded entity's box drawn and labelled), filters by type
// and entity, and a trending panel. Plain browser JavaScript against the
// /api/v1 endpoints of the same server; no build step, no third-party code.
// Page parameters: ?refresh=SECONDS (default 5), ?at=ISO-TIME pins the
// trending window's end (demos, tests), ?entity=, ?type=PER,ORG, ?has_box=true.

const params = new URLSearchParams(window.location.search)
const REFRESH_MS = Math.max(1, Number(params.get('refresh') ?? '5') || 5) * 1000
const AT = params.get('at')
const TYPES = ['PER', 'LOC', 'ORG', 'OTHER']

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
  types: new Set((params.get('type') ?? TYPES.join(',')).split(',').filter((t) => TYPES.includes(t))),
  entity: params.get('entity') ?? '',
  hasBox: params.get('has_box') === 'true',
  window: params.get('window') ?? '1h'
}

function filterQuery () {
  const q = new URLSearchParams()
  if (state.types.size > 0 && state.types.size < TYPES.length) q.set('type', [...state.types].join(','))
  if (state.entity.trim() !== '') q.set('entity', state.entity.trim())
  if (state.hasBox) q.set('has_box', 'true')
  return q
}

async function getJson (path, query, signal) {
  const response = await fetch(`${path}?${query.toString()}`, { signal, headers: { accept: 'application/json' } })
  const body = await response.json()
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`)
  return body
}

/** The post text with each mention wrapped, using the mentions' character offsets. */
// What a mention was linked to: title, one-line description and id; empty when not linked.
function linkLine (entity, prefix) {
  if (!entity.canonical_id) return ''
  const description = entity.canonical_description ? ` — ${entity.canonical_description}` : ''
  return `${prefix}${entity.canonical_title ?? entity.canonical_id}${description} (${entity.canonical_id})`
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
  return figure
}

function chooseEntity (normalised) {
  state.entity = normalised
  $('#entity').value = normalised
  refresh()
}

function renderPost (post) {
  const when = new Date(post.created_at)
  const chips = el('div', { class: 'entities' }, ...post.entities.map((e) =>
    el('button', { type: 'button', class: `chip ${e.type}`, dataset: { entity: e.normalised }, onclick: () => chooseEntity(e.normalised), title: linkLine(e, '') },
      `${e.text} `, el('small', {}, e.type), e.box ? ' ▣' : '')))
  return el('article', { class: 'post', dataset: { postId: post.post_id } },
    el('div', { class: 'meta' },
      el('span', {}, post.author_handle ? `@${post.author_handle}` : post.post_id),
      el('time', { datetime: post.created_at }, when.toISOString().replace('T', ' ').slice(0, 19) + ' UTC')),
    renderText(post.text, post.entities),
    renderImage(post),
    chips)
}

let controller = null
let timer = null

async function refresh () {
  clearTimeout(timer)
  controller?.abort()
  controller = new AbortController()
  const signal = controller.signal
  const postsQuery = filterQuery()
  postsQuery.set('size', '30')
  const trendingQuery = new URLSearchParams({ window: state.window, size: '10', min_count: '1' })
  if (state.types.size > 0 && state.types.size < TYPES.length) trendingQuery.set('type', [...state.types].join(','))
  if (AT) trendingQuery.set('at', AT)
  const shareable = filterQuery()
  for (const key of ['refresh', 'at']) if (params.get(key)) shareable.set(key, params.get(key))
  window.history.replaceState(null, '', `${window.location.pathname}${shareable.size > 0 ? `?${shareable}` : ''}`)
  try {
    if (state.types.size === 0) {
      $('#posts').replaceChildren(el('p', { class: 'empty' }, 'No type selected.'))
      $('#trending-list').replaceChildren()
    } else {
      const [posts, trending] = await Promise.all([
        getJson('/api/v1/posts', postsQuery, signal),
        getJson('/api/v1/trending', trendingQuery, signal)
      ])
      $('#posts').replaceChildren(...(posts.posts.length > 0 ? posts.posts.map(renderPost) : [el('p', { class: 'empty' }, 'No posts match these filters.')]))
      $('#trending-list').replaceChildren(...(trending.entities.length > 0
        ? trending.entities.map((e) => el('li', { dataset: { entity: e.entity } },
          el('button', { type: 'button', onclick: () => chooseEntity(e.entity) }, el('span', { class: `chip ${e.type ?? 'OTHER'}` }, e.text ?? e.entity)),
          ' ', el('span', { class: 'counts' }, `${e.current} vs ${e.previous}`)))
        : [el('li', { class: 'empty' }, 'nothing rising')]))
    }
    $('#status').textContent = `updated ${new Date().toLocaleTimeString()} · refreshes every ${REFRESH_MS / 1000}s`
    document.body.dataset.loaded = 'true'
  } catch (error) {
    if (signal.aborted) return
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
  const entity = $('#entity')
  entity.value = state.entity
  let debounce = null
  entity.addEventListener('input', () => {
    clearTimeout(debounce)
    debounce = setTimeout(() => { state.entity = entity.value; refresh() }, 250)
  })
  $('#filters').addEventListener('submit', (event) => { event.preventDefault(); state.entity = entity.value; refresh() })
  $('#has-box').checked = state.hasBox
  $('#has-box').addEventListener('change', (event) => { state.hasBox = event.target.checked; refresh() })
  $('#window').value = state.window
  $('#window').addEventListener('change', (event) => { state.window = event.target.value; refresh() })
  $('#clear').addEventListener('click', () => {
    state.types = new Set(TYPES)
    state.entity = ''
    state.hasBox = false
    for (const box of document.querySelectorAll('#types input')) box.checked = true
    entity.value = ''
    $('#has-box').checked = false
    refresh()
  })
  refresh()
}

init()
