#!/usr/bin/env node
/* global process, console */
// Writes the provisioned dashboards under grafana/dashboards/. The JSON is
// committed (Grafana reads it as is); edit this file and re-run
//   node grafana/generate.mjs
// test/observability checks the committed JSON matches this output and that
// every metric queried is exported by the service.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'dashboards')
const PROM = { type: 'prometheus', uid: 'groundstream-prometheus' }
const ES = { type: 'elasticsearch', uid: 'groundstream-elasticsearch' }

let nextId = 1
const grid = { x: 0, y: 0 }
function place (w, h) {
  if (grid.x + w > 24) { grid.x = 0; grid.y += 8 }
  const pos = { x: grid.x, y: grid.y, w, h }
  grid.x += w
  return pos
}
function row (title) {
  if (grid.x > 0) { grid.x = 0; grid.y += 8 }
  const panel = { id: nextId++, type: 'row', title, collapsed: false, gridPos: { x: 0, y: grid.y, w: 24, h: 1 }, panels: [] }
  grid.y += 1
  return panel
}

function prom (expr, legendFormat, extra = {}) {
  return { datasource: PROM, expr, legendFormat, range: true, ...extra }
}

function timeseries (title, targets, { unit = 'short', w = 12, h = 8, description, stack = false, min } = {}) {
  return {
    id: nextId++,
    type: 'timeseries',
    title,
    description,
    datasource: PROM,
    gridPos: place(w, h),
    fieldConfig: {
      defaults: {
        unit,
        min,
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: stack ? 30 : 10, stacking: { mode: stack ? 'normal' : 'none' }, showPoints: 'never' }
      },
      overrides: []
    },
    options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), ...t }))
  }
}

function heatmap (title, expr, { w = 12, h = 8, description, unit = 's' } = {}) {
  return {
    id: nextId++,
    type: 'heatmap',
    title,
    description,
    datasource: PROM,
    gridPos: place(w, h),
    options: {
      calculate: false,
      yAxis: { unit },
      color: { mode: 'scheme', scheme: 'Oranges', steps: 64 },
      cellGap: 1,
      tooltip: { mode: 'single', yHistogram: true }
    },
    targets: [{ refId: 'A', ...prom(expr, '{{le}}', { format: 'heatmap' }) }]
  }
}

function stat (title, expr, { unit = 'short', w = 6, h = 4, thresholds } = {}) {
  return {
    id: nextId++,
    type: 'stat',
    title,
    datasource: PROM,
    gridPos: place(w, h),
    fieldConfig: { defaults: { unit, thresholds: thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] } }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'area' },
    targets: [{ refId: 'A', ...prom(expr, '') }]
  }
}

function dashboard ({ uid, title, description, tags, panels, templating = [], time = { from: 'now-6h', to: 'now' }, refresh = '30s' }) {
  return {
    uid,
    title,
    description,
    tags,
    timezone: 'utc',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh,
    time,
    templating: { list: templating },
    annotations: { list: [] },
    panels
  }
}

const q = (stage) => `sum by (stage, le) (rate(groundstream_stage_batch_duration_seconds_bucket{stage=~"${stage}"}[$__rate_interval]))`

function pipelineDashboard () {
  nextId = 1
  grid.x = 0
  grid.y = 0
  const panels = [
    row('Overview'),
    stat('Posts/s', 'sum(rate(groundstream_posts_total[$__rate_interval]))', { unit: 'ops' }),
    stat('Consumer lag (records)', 'sum(groundstream_consumer_lag)', { thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'orange', value: 1000 }, { color: 'red', value: 10000 }] } }),
    stat('Dead letters/s', 'sum(rate(groundstream_dead_letters_total[$__rate_interval]))', { unit: 'ops', thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 0.2 }] } }),
    stat('End-to-end p99', 'histogram_quantile(0.99, sum by (le) (rate(groundstream_end_to_end_latency_seconds_bucket[$__rate_interval])))', { unit: 's' }),

    row('Throughput'),
    timeseries('Records consumed and posts finished', [
      prom('sum by (topic) (rate(groundstream_consumer_records_total[$__rate_interval]))', 'consumed {{topic}}'),
      prom('sum by (outcome) (rate(groundstream_posts_total[$__rate_interval]))', 'posts {{outcome}}')
    ], { unit: 'ops' }),
    timeseries('Documents indexed and posts per stage', [
      prom('sum(rate(groundstream_documents_indexed_total[$__rate_interval]))', 'documents indexed'),
      prom('sum by (stage) (rate(groundstream_stage_posts_total[$__rate_interval]))', '{{stage}}')
    ], { unit: 'ops' }),
    timeseries('Text-model result cache hit rate', [
      prom('sum by (stage) (rate(groundstream_text_result_cache_lookups_total{result="hit"}[$__rate_interval])) / sum by (stage) (rate(groundstream_text_result_cache_lookups_total[$__rate_interval]))', '{{stage}}')
    ], { unit: 'percentunit', min: 0, max: 1, description: 'Share of stage-1 posts and stage-2 prompts answered without running the model (repeated posts: retweets, campaigns; textModels.resultCacheBytes).' }),

    row('Stage latency'),
    timeseries('Stage batch latency p50 / p90 / p99', [
      prom(`histogram_quantile(0.5, ${q('$stage')})`, '{{stage}} p50'),
      prom(`histogram_quantile(0.9, ${q('$stage')})`, '{{stage}} p90'),
      prom(`histogram_quantile(0.99, ${q('$stage')})`, '{{stage}} p99')
    ], { unit: 's', description: 'Wall time of one stage on one micro-batch. Alert GroundstreamStageP99OverBudget compares p99 with per-stage budgets.' }),
    heatmap('Stage batch latency heatmap ($stage)', 'sum by (le) (increase(groundstream_stage_batch_duration_seconds_bucket{stage=~"$stage"}[$__rate_interval]))'),
    timeseries('Pipeline and end-to-end latency p50 / p99', [
      prom('histogram_quantile(0.5, sum by (le) (rate(groundstream_pipeline_latency_seconds_bucket[$__rate_interval])))', 'admitted→indexed p50'),
      prom('histogram_quantile(0.99, sum by (le) (rate(groundstream_pipeline_latency_seconds_bucket[$__rate_interval])))', 'admitted→indexed p99'),
      prom('histogram_quantile(0.5, sum by (le) (rate(groundstream_end_to_end_latency_seconds_bucket[$__rate_interval])))', 'created→indexed p50'),
      prom('histogram_quantile(0.99, sum by (le) (rate(groundstream_end_to_end_latency_seconds_bucket[$__rate_interval])))', 'created→indexed p99')
    ], { unit: 's' }),
    heatmap('End-to-end latency heatmap', 'sum by (le) (increase(groundstream_end_to_end_latency_seconds_bucket[$__rate_interval]))'),

    row('Batches and queues'),
    timeseries('Micro-batch size p50 / p99 / mean', [
      prom('histogram_quantile(0.5, sum by (le) (rate(groundstream_batch_size_bucket[$__rate_interval])))', 'p50'),
      prom('histogram_quantile(0.99, sum by (le) (rate(groundstream_batch_size_bucket[$__rate_interval])))', 'p99'),
      prom('sum(rate(groundstream_batch_size_sum[$__rate_interval])) / sum(rate(groundstream_batch_size_count[$__rate_interval]))', 'mean')
    ], { unit: 'short', w: 8 }),
    heatmap('Micro-batch size heatmap', 'sum by (le) (increase(groundstream_batch_size_bucket[$__rate_interval]))', { w: 8, unit: 'short' }),
    timeseries('Queue depths, in flight, paused', [
      prom('max by (queue) (groundstream_queue_depth)', 'queue {{queue}}'),
      prom('sum(groundstream_in_flight_posts)', 'posts in flight'),
      prom('max(groundstream_consumer_paused)', 'consumer paused')
    ], { w: 8, description: 'Batches waiting in front of each stage or the sink; posts admitted and not yet indexed; 1 while the consumer is paused for backpressure.' }),

    row('Kafka'),
    timeseries('Consumer lag per partition', [
      prom('max by (topic, partition) (groundstream_consumer_lag)', '{{topic}}/{{partition}}')
    ], { stack: true, description: 'Records behind the high watermark at the last fetch. KEDA scales on the same lag, up to the partition count.' }),
    timeseries('Committed offset per partition', [
      prom('max by (topic, partition) (groundstream_committed_offset)', '{{topic}}/{{partition}}')
    ]),

    row('Knowledge cache'),
    timeseries('Hit ratio per tier', [
      prom('sum by (tier) (rate(groundstream_knowledge_lookups_total{outcome!="miss"}[$__rate_interval])) / sum by (tier) (rate(groundstream_knowledge_lookups_total[$__rate_interval]))', '{{tier}} (window)'),
      prom('max by (tier) (groundstream_knowledge_hit_ratio)', '{{tier}} (since start)')
    ], { unit: 'percentunit', w: 8, min: 0 }),
    timeseries('Lookups per tier and outcome', [
      prom('sum by (tier, outcome) (rate(groundstream_knowledge_lookups_total[$__rate_interval]))', '{{tier}} {{outcome}}')
    ], { unit: 'ops', w: 8, stack: true }),
    timeseries('Source errors and open breakers', [
      prom('sum by (source, code) (rate(groundstream_knowledge_fetch_errors_total[$__rate_interval]))', 'errors {{source}} {{code}}'),
      prom('max by (source) (groundstream_knowledge_breaker_open)', 'breaker open {{source}}')
    ], { w: 8 }),

    row('Images'),
    timeseries('Image refusals and failures by reason', [
      prom('sum by (status) (rate(groundstream_images_total{status!="ok"}[$__rate_interval]))', '{{status}}')
    ], { unit: 'ops', w: 6, stack: true, description: 'refused_scheme / refused_address (SSRF guard), refused_size / refused_type / refused_pixels (limits), timeout, fetch_error, decode_error.' }),
    timeseries('Image outcome share', [
      prom('sum by (status) (rate(groundstream_images_total[$__rate_interval])) / ignoring(status) group_left sum(rate(groundstream_images_total[$__rate_interval]))', '{{status}}')
    ], { unit: 'percentunit', w: 6, stack: true, min: 0 }),
    timeseries('Image fetch + analysis p50 / p99', [
      prom('histogram_quantile(0.5, sum by (le) (rate(groundstream_image_duration_seconds_bucket{status="ok"}[$__rate_interval])))', 'p50 (ok)'),
      prom('histogram_quantile(0.99, sum by (le) (rate(groundstream_image_duration_seconds_bucket{status="ok"}[$__rate_interval])))', 'p99 (ok)')
    ], { unit: 's', w: 6 }),
    timeseries('Regions offered to stage 2 per image', [
      prom('sum(rate(groundstream_image_regions_sum[$__rate_interval])) / sum(rate(groundstream_image_regions_count[$__rate_interval]))', 'mean'),
      prom('histogram_quantile(0.9, sum by (le) (rate(groundstream_image_regions_bucket[$__rate_interval])))', 'p90')
    ], { unit: 'short', w: 6 }),

    row('Errors'),
    timeseries('Dead letters by reason', [
      prom('sum by (reason) (rate(groundstream_dead_letters_total[$__rate_interval]))', '{{reason}}')
    ], { unit: 'ops', w: 8, stack: true }),
    timeseries('Elasticsearch errors by kind, sink retries', [
      prom('sum by (kind) (rate(groundstream_elasticsearch_errors_total[$__rate_interval]))', '{{kind}}'),
      prom('sum(rate(groundstream_sink_retries_total[$__rate_interval]))', 'retries')
    ], { unit: 'ops', w: 8 }),
    timeseries('Sink bulk write p50 / p99', [
      prom('histogram_quantile(0.5, sum by (le) (rate(groundstream_sink_batch_duration_seconds_bucket[$__rate_interval])))', 'p50'),
      prom('histogram_quantile(0.99, sum by (le) (rate(groundstream_sink_batch_duration_seconds_bucket[$__rate_interval])))', 'p99')
    ], { unit: 's', w: 8 }),

    row('Search API'),
    timeseries('API requests by route and status', [
      prom('sum by (route, status) (rate(groundstream_api_requests_total{route=~"/api/.*"}[$__rate_interval]))', '{{route}} {{status}}')
    ], { unit: 'reqps', w: 8 }),
    timeseries('API latency p50 / p99 by route', [
      prom('histogram_quantile(0.5, sum by (route, le) (rate(groundstream_api_request_duration_seconds_bucket{route=~"/api/.*"}[$__rate_interval])))', '{{route}} p50'),
      prom('histogram_quantile(0.99, sum by (route, le) (rate(groundstream_api_request_duration_seconds_bucket{route=~"/api/.*"}[$__rate_interval])))', '{{route}} p99')
    ], { unit: 's', w: 8 }),
    timeseries('API search failures by kind', [
      prom('sum by (kind) (rate(groundstream_api_elasticsearch_errors_total[$__rate_interval]))', '{{kind}}')
    ], { unit: 'ops', w: 8, description: 'timeout: past the request budget; overloaded: in-flight cap or Elasticsearch 429; connection/http_5xx: cluster trouble.' }),

    row('Process'),
    timeseries('Models loaded', [
      prom('max by (stage, version, provider) (groundstream_model_info)', '{{stage}} {{version}} ({{provider}})')
    ], { w: 12 }),
    timeseries('Event loop lag p99 and resident memory', [
      prom('max by (instance) (groundstream_nodejs_eventloop_lag_p99_seconds)', 'event loop p99 {{instance}}'),
      prom('max by (instance) (groundstream_process_resident_memory_bytes) / 1e9', 'RSS GB {{instance}}')
    ], { w: 12 })
  ]
  return dashboard({
    uid: 'groundstream-pipeline',
    title: 'groundstream / pipeline',
    description: 'Throughput, stage latency, batches, queues, Kafka lag, knowledge cache, errors.',
    tags: ['groundstream'],
    panels,
    templating: [
      {
        name: 'stage',
        label: 'Stage',
        type: 'query',
        datasource: PROM,
        query: { query: 'label_values(groundstream_stage_batch_duration_seconds_bucket, stage)', refId: 'stage' },
        definition: 'label_values(groundstream_stage_batch_duration_seconds_bucket, stage)',
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] }
      }
    ]
  })
}

function esPanel (type, title, targets, { w = 12, h = 8, description, options = {}, fieldConfig } = {}) {
  return {
    id: nextId++,
    type,
    title,
    description,
    datasource: ES,
    gridPos: place(w, h),
    fieldConfig: fieldConfig ?? { defaults: {}, overrides: [] },
    options,
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: ES, timeField: 'post.created_at', ...t }))
  }
}

const dateHistogram = (id = '1') => ({ id, type: 'date_histogram', field: 'post.created_at', settings: { interval: 'auto', min_doc_count: '0', trimEdges: '0' } })
const terms = (id, field, size, orderBy = '_count') => ({ id, type: 'terms', field, settings: { size: String(size), order: 'desc', orderBy, min_doc_count: '1' } })
const COUNT = [{ id: '1', type: 'count' }]
const FILTER = 'entity.type:($type) AND entity.normalised:($entity)'

function entitiesDashboard () {
  nextId = 1
  grid.x = 0
  grid.y = 0
  const panels = [
    row('Entity tracking'),
    esPanel('barchart', 'Top entities', [
      { query: FILTER, metrics: COUNT, bucketAggs: [terms('2', 'entity.normalised', 20)] }
    ], { w: 8, h: 12, options: { orientation: 'horizontal', showValue: 'auto', legend: { showLegend: false } } }),
    esPanel('timeseries', 'Mentions over time by type', [
      { query: FILTER, metrics: COUNT, bucketAggs: [terms('3', 'entity.type', 10), dateHistogram('2')] }
    ], { w: 16, h: 12, fieldConfig: { defaults: { custom: { drawStyle: 'bars', stacking: { mode: 'normal' }, fillOpacity: 60 } }, overrides: [] } }),
    esPanel('timeseries', 'Mentions over time: top 10 entities', [
      { query: FILTER, metrics: COUNT, bucketAggs: [terms('3', 'entity.normalised', 10), dateHistogram('2')] }
    ], { w: 24, h: 10 }),
    row('Grounding and images'),
    esPanel('piechart', 'Mentions with an image box', [
      { query: `${FILTER} AND _exists_:box.x`, alias: 'with box', metrics: COUNT, bucketAggs: [dateHistogram('2')] },
      { query: `${FILTER} AND NOT _exists_:box.x`, alias: 'no box', metrics: COUNT, bucketAggs: [dateHistogram('2')] }
    ], { w: 8, options: { reduceOptions: { calcs: ['sum'], values: false }, pieType: 'donut' } }),
    esPanel('barchart', 'Image outcome by status (refusals by reason)', [
      { query: 'NOT image.status:none', metrics: COUNT, bucketAggs: [terms('2', 'image.status', 12)] }
    ], { w: 8, description: 'Per indexed mention: ok, refused_* (scheme, address, size, type, pixels), timeout, fetch_error, decode_error.', options: { orientation: 'horizontal', legend: { showLegend: false } } }),
    esPanel('barchart', 'Knowledge source of grounded mentions', [
      { query: FILTER, metrics: COUNT, bucketAggs: [terms('2', 'entity.knowledge_source', 10)] }
    ], { w: 8, options: { orientation: 'horizontal', legend: { showLegend: false } } }),
    row('Recent mentions'),
    esPanel('table', 'Recent mentions', [
      { query: FILTER, metrics: [{ id: '1', type: 'raw_data', settings: { size: '100' } }], bucketAggs: [] }
    ], { w: 24, h: 12 })
  ]
  return dashboard({
    uid: 'groundstream-entities',
    title: 'groundstream / entity tracking',
    description: 'Top entities and mentions over time, read from the Elasticsearch index.',
    tags: ['groundstream'],
    panels,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    templating: [
      { name: 'type', label: 'Type', type: 'custom', query: 'PER,LOC,ORG,OTHER', includeAll: true, multi: true, allValue: '*', current: { selected: true, text: ['All'], value: ['$__all'] }, options: [] },
      {
        name: 'entity',
        label: 'Entity',
        type: 'query',
        datasource: ES,
        // The 200 most mentioned entities; multi-values are sent as ("a" OR "b").
        query: '{"find": "terms", "field": "entity.normalised", "size": 200, "query": "entity.type:($type)"}',
        definition: 'terms entity.normalised',
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: '*',
        current: { selected: true, text: ['All'], value: ['$__all'] }
      }
    ]
  })
}

const DASHBOARDS = { 'groundstream-pipeline.json': pipelineDashboard, 'groundstream-entities.json': entitiesDashboard }

export function render () {
  return Object.fromEntries(Object.entries(DASHBOARDS).map(([file, build]) => [file, `${JSON.stringify(build(), null, 2)}\n`]))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, text] of Object.entries(render())) writeFileSync(join(OUT, file), text)
  console.log(`wrote ${Object.keys(DASHBOARDS).join(', ')} to ${OUT}`)
}
