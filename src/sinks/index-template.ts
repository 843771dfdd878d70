// The index template for entity documents. The integration-test distribution
// of Elasticsearch has no analysis-common, mapper-extras or painless, so only
// core field types, the built-in standard analyzer and the built-in lowercase
// normalizer are used.
//
// ENTITY_TEMPLATE_VERSION goes up with every mapping change. The template
// only shapes indices created after it is put, so the sink also puts the
// template's mappings onto an index that already exists (entityIndexMappings):
// Elasticsearch takes added fields in place; a changed field type would need a
// new index (and is refused there, loudly, at start).

/** Bumped with every mapping change: 2 adds `entity.brand` (issue 27). */
export const ENTITY_TEMPLATE_VERSION = 2

/** The mappings of an entity index (strict: a field the mapping lacks is refused, not guessed). */
export function entityIndexMappings (): Record<string, unknown> {
  const keyword = { type: 'keyword', ignore_above: 1024 }
  const textWithKeyword = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 512 } } }
  // As written for display and facets, `.lower` for case-insensitive filters and grouping.
  const name = { type: 'keyword', ignore_above: 512, fields: { lower: { type: 'keyword', normalizer: 'lowercase', ignore_above: 512 } } }
  return {
    dynamic: 'strict',
    _meta: { groundstream_template_version: ENTITY_TEMPLATE_VERSION },
    properties: {
      id: keyword,
      post_id: keyword,
      entity: {
        properties: {
          text: textWithKeyword,
          normalised: keyword,
          mention_kind: keyword,
          type: keyword,
          score: { type: 'float' },
          span_score: { type: 'float' },
          start: { type: 'integer' },
          end: { type: 'integer' },
          canonical_id: keyword,
          canonical_title: textWithKeyword,
          canonical_description: { type: 'text', index: false },
          knowledge_source: keyword,
          brand: name
        }
      },
      box: {
        properties: {
          x: { type: 'float' },
          y: { type: 'float' },
          w: { type: 'float' },
          h: { type: 'float' },
          label: keyword,
          score: { type: 'float' },
          reason: keyword
        }
      },
      image: {
        properties: {
          url: keyword,
          width: { type: 'integer' },
          height: { type: 'integer' },
          status: keyword
        }
      },
      post: {
        properties: {
          text: { type: 'text' },
          text_length: { type: 'integer' },
          truncated: { type: 'boolean' },
          truncated_by: keyword,
          created_at: { type: 'date' },
          author_id: keyword,
          author_handle: keyword,
          language: keyword,
          url: keyword,
          source: keyword
        }
      },
      models: { properties: { stage1: keyword, stage2: keyword } },
      processed_at: { type: 'date' },
      generation: { type: 'long' }
    }
  }
}

export function entityIndexTemplate (index: string): { name: string, body: Record<string, unknown> } {
  return {
    name: `${index}-template`,
    body: {
      index_patterns: [`${index}*`],
      priority: 200,
      version: ENTITY_TEMPLATE_VERSION,
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
        mappings: entityIndexMappings()
      }
    }
  }
}
