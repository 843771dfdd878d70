// What the image models' folders must say about themselves (manifest.json,
// written by training/convert_detector.py and training/export_embedder.py),
// validated when the models load (src/shared/model-json.ts readManifest).
import { z } from 'zod'

export const DetectorManifestSchema = z.object({
  /** Files by precision (fp32, and int8 once training/quantize_detector.py wrote one). */
  files: z.record(z.string(), z.string()).optional(),
  /** Manifests converted before `files` name their one fp32 file here. */
  file: z.string().optional(),
  labels: z.array(z.string()).min(1),
  input: z.object({ name: z.string(), size: z.number().int().positive() }).passthrough(),
  outputs: z.object({ keypoints: z.string(), wh: z.string() }).passthrough()
}).passthrough()

export type DetectorManifest = z.infer<typeof DetectorManifestSchema>

export const EmbedderManifestSchema = z.object({
  files: z.object({ int8: z.string(), tokenizer: z.string() }).passthrough(),
  max_length: z.number().int().positive().default(64)
}).passthrough()

/** The detector file for `precision`, or undefined when the manifest names none. */
export function detectorFile (manifest: DetectorManifest, precision: string): string | undefined {
  return manifest.files?.[precision] ?? (precision === 'fp32' ? manifest.file : undefined)
}
