// JSON files of a model folder (manifests, tokenizer files), read by the same
// rules for the text models, the image models and the CLI: a missing file is
// GS_ERR_MODEL_MISSING, a broken or invalid one GS_ERR_MODEL_INVALID, both
// naming the path. Here rather than in src/runtime, so that reading a
// manifest does not load ONNX Runtime.
import { access, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { z } from 'zod'
import { GroundstreamError } from '../errors/index.js'
import { formatIssues } from './validation.js'

/** Throws GS_ERR_MODEL_MISSING naming the file when it is not there. */
export async function mustExist (file: string, what: string): Promise<void> {
  try {
    await access(file)
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `${what} not found: ${file}`, { cause: error, details: { path: file } })
  }
}

/** A JSON object from a model folder: missing is GS_ERR_MODEL_MISSING, unparseable GS_ERR_MODEL_INVALID, both naming the file. */
export async function readJsonFile (file: string, what: string): Promise<Record<string, unknown>> {
  await mustExist(file, what)
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_MISSING', `${what} not readable: ${file}`, { cause: error, details: { path: file } })
  }
  try {
    return JSON.parse(raw) as Record<string, unknown>
  } catch (error) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `${what} is not valid JSON: ${file}: ${(error as Error).message}`, { cause: error, details: { path: file } })
  }
}

/** `<dir>/manifest.json` validated by `schema`; every problem is named in one GS_ERR_MODEL_INVALID. */
export async function readManifest<S extends z.ZodType> (dir: string, schema: S, what: string): Promise<{ manifest: z.infer<S>, file: string }> {
  const file = path.join(dir, 'manifest.json')
  const result = schema.safeParse(await readJsonFile(file, what))
  if (!result.success) {
    throw new GroundstreamError('GS_ERR_MODEL_INVALID', `${what} ${file} is invalid: ${formatIssues(result.error.issues).join('; ')}`, { details: { path: file } })
  }
  return { manifest: result.data, file }
}
