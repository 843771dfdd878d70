// Model loading for every folder that runs a model (stages, images, knowledge
// cache): sessions, model-folder JSON and tokenizers. Kept apart from
// src/shared so that modules which never run a model do not load ONNX Runtime.
export { BERT_SPECIAL_TOKENS, createSession, loadTokenizer } from './models.js'
// Model-folder JSON is read without ONNX Runtime (src/shared/model-json.ts); re-exported for model code.
export { mustExist, readJsonFile, readManifest } from '../shared/index.js'
export type { ExecutionProvider, LoadedSession, SessionOptions } from './models.js'
