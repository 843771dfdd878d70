// Where the installation lives: the package root, found from this file, so
// models and the bundled samples are found from any working folder.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { GroundstreamError } from '../errors/index.js'

/**
 * The package root: the nearest folder above this file that holds package.json
 * (dist/src/shared/ when built, src/shared/ when the tests run the sources).
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

