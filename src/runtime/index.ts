// Model loading for every folder that runs a model (stages, images, knowledge
// cache): sessions, model-folder JSON and tokenizers. Kept apart from
// src/shared so that modules which never run a model do not load ONNX Runtime.
export { createSession, loadTokenizer, mustExist, readJsonFile } from './models.js'
export type { ExecutionProvider, LoadedSession, SessionOptions } from './models.js'
