// The sentence encoder (all-MiniLM-L6-v2 int8, training/export_embedder.py)
// that orders regions by their likeness to a post's candidates.
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import type { PreTrainedTokenizer } from '@huggingface/transformers'
import { loadTokenizer, readManifest } from '../runtime/index.js'
import type { EmbedderConfig } from './config.js'
import { EmbedderManifestSchema } from './manifests.js'
import { openSession, run, type SessionSettings } from './sessions.js'

export interface EmbedderModel {
  session: ort.InferenceSession
  tokenizer: PreTrainedTokenizer
  maxLength: number
}

export async function loadEmbedder (config: EmbedderConfig, threads: SessionSettings): Promise<EmbedderModel> {
  const { manifest } = await readManifest(config.modelDir, EmbedderManifestSchema, 'embedder manifest')
  // The tokenizer of the embedder's own folder, by the same rules as the text models' (a broken tokenizer_config.json is an error).
  const tokenizer = await loadTokenizer(path.join(config.modelDir, manifest.files.tokenizer), 'embedder tokenizer')
  const session = await openSession(path.join(config.modelDir, manifest.files.int8), 'embedder model', threads)
  return { session, tokenizer, maxLength: manifest.max_length }
}

export async function embed (model: EmbedderModel, texts: readonly string[]): Promise<Float32Array[]> {
  if (texts.length === 0) return []
  const encoded = texts.map((t) => {
    const ids = model.tokenizer.encode(t, { add_special_tokens: true })
    if (ids.length <= model.maxLength) return ids
    return [...ids.slice(0, model.maxLength - 1), ids[ids.length - 1] as number]
  })
  const seq = Math.max(...encoded.map((e) => e.length))
  const n = texts.length
  const ids = new BigInt64Array(n * seq)
  const mask = new BigInt64Array(n * seq)
  encoded.forEach((e, i) => e.forEach((id, j) => { ids[i * seq + j] = BigInt(id); mask[i * seq + j] = 1n }))
  const out = await run(model.session, {
    input_ids: new ort.Tensor('int64', ids, [n, seq]),
    attention_mask: new ort.Tensor('int64', mask, [n, seq]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(n * seq), [n, seq])
  }, 'embedder')
  const hidden = out[model.session.outputNames[0] as string] as ort.Tensor
  const dim = hidden.dims[2] as number
  const data = hidden.data as Float32Array
  return encoded.map((e, i) => {
    const v = new Float32Array(dim)
    for (let j = 0; j < e.length; j++) for (let d = 0; d < dim; d++) v[d] = (v[d] as number) + (data[(i * seq + j) * dim + d] as number)
    let norm = 0
    for (let d = 0; d < dim; d++) { v[d] = (v[d] as number) / e.length; norm += (v[d] as number) ** 2 }
    norm = Math.sqrt(norm) || 1
    for (let d = 0; d < dim; d++) v[d] = (v[d] as number) / norm
    return v
  })
}
