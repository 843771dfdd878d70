// The image path: the only module of src/images imported from outside it.
export {
  ImagesConfigSchema,
  ImageFetchConfigSchema,
  ImageDecodeConfigSchema
} from './config.js'
export type {
  ImagesConfig
} from './config.js'
export { createImageStage, orderBySimilarity } from './stage.js'
export type { ImageStage, ImageDoneEvent } from './stage.js'
export { createImageFetcher, checkUrl } from './fetch.js'
export { createFolderFetcher, createRoutedFetcher } from './folder-fetcher.js'
export type { ImageFetcher, Resolver } from './fetch.js'
export { decodeImage } from './decode.js'
export { createImageEngine } from './engine.js'
export type { ImageEngine } from './engine.js'
export { createWorkerPool } from './pool.js'
export type { ImageAnalyser } from './pool.js'
export { analyseImage, describeImage, selectRegions } from './analyse.js'
export { classifyAddress, parseAddress, checkAddress, createAllowList } from './address.js'
