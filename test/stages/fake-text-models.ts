// Text models whose stage 2 answers every prompt with the same probabilities,
// for tests of what stage 2 decides from them (no ONNX session).
import type { TextModels } from '../../src/stages/index.js'

export function fakeTypeModels (scores: number[]): TextModels {
  return {
    info: { recognizer: 'scanner', stage1: { version: 'f1', provider: 'cpu', file: '', maxLength: 128 }, stage2: { version: 'f2', provider: 'cpu', file: '', maxLength: 256 } },
    detectSpans: async () => { throw new Error('not used') },
    recogniseSet: async () => { throw new Error('not used') },
    recogniseTypes: async (requests) => requests.map(() => ({ label: 'NONE' as const, scores, objScores: [] })),
    close: async () => {}
  }
}
