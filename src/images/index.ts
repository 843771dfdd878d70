// The image path: the only module of src/images imported from outside it.
export {
  ImagesConfigSchema,
  ImageFetchConfigSchema,
  ImageDecodeConfigSchema,
  DetectorConfigSchema,
  OcrConfigSchema,
  EmbedderConfigSchema,
  GroundingConfigSchema
} from './config.js'
export type {
  ImagesConfig,
  ImageFetchConfig,
  ImageDecodeConfig,
  DetectorConfig,
  OcrConfig,
  EmbedderConfig,
  GroundingConfig
} from './config.js'
