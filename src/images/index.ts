// The image path: the only module of src/images imported from outside it.
export {
  ImagesConfigSchema,
  ImageFetchConfigSchema,
  ImageDecodeConfigSchema,
  DetectorConfigSchema,
  OcrConfigSchema,
  EmbedderConfigSchema
} from './config.js'
export type {
  ImagesConfig,
  ImageFetchConfig,
  ImageDecodeConfig,
  DetectorConfig,
  OcrConfig,
  EmbedderConfig
} from './config.js'
export { createImageStage, candidateQuery, orderBySimilarity } from './stage.js'
export type { ImageStage, ImageStageDeps, ImageDoneEvent, ImageStageLogger } from './stage.js'
export { createImageFetcher, checkUrl } from './fetch.js'
export { createFolderFetcher, createRoutedFetcher } from './folder-fetcher.js'
export type { ImageFetcher, FetchOutcome, FetchedImage, Resolver } from './fetch.js'
export { decodeImage } from './decode.js'
export type { DecodedImage, DecodeOutcome } from './decode.js'
export { createImageEngine } from './engine.js'
export type { ImageEngine, RgbImage, EngineConfig } from './engine.js'
export { createWorkerPool } from './pool.js'
export type { ImageAnalyser } from './pool.js'
export { analyseImage, describeImage, selectRegions } from './analyse.js'
export type { Analysis } from './analyse.js'
export { classifyAddress, parseAddress, checkAddress, createAllowList } from './address.js'
