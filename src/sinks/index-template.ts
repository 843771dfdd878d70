// The index template for entity documents. The integration-test distribution
// of Elasticsearch has no analysis-common, mapper-extras or painless, so only
// core field types and the built-in standard analyzer are used.
export function entityIndexTemplate (index: string): { name: string, body: Record<string, unknown> } {
  const keyword = { type: 'keyword', ignore_above: 1024 }
  const textWithKeyword = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 512 } } }
  return {
    name: `${index}-template`,
    body: {
      index_patterns: [`${index}*`],
      priority: 200,
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
        mappings: {
          dynamic: 'strict',
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
                knowledge_source: keyword
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
    }
  }
}
