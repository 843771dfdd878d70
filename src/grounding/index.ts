// Public surface of grounding: the rules that choose the image region showing
// an entity (or none), and their config. Stage 2 calls a grounder per
// recognised entity; the image stage only supplies regions and similarities.
export { GroundingConfigSchema } from './config.js'
export { chooseRegion, createRegionGrounder, groundEntity, scoreRegions } from './grounding.js'
export type { GroundingEntity, PromptGroundingRequest, RegionGrounderConfig } from './grounding.js'
