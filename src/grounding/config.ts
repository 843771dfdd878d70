// Grounding's settings (the config file's `images.grounding` section): how
// sure a region must be before an entity is boxed, and whether stage 2's
// object head has a say. Kept beside the rules they tune.
import { z } from 'zod'

const probability = z.number().min(0).max(1)

export const GroundingConfigSchema = z.object({
  /** Best region score must reach this, else the entity is grounded to None. */
  threshold: probability.default(0.35),
  /** Use stage 2's `obj_scores` only once its object head was trained on region labels. */
  useObjectHead: z.boolean().default(false),
  /** Weight of the stage-2 object head when it is used. */
  objHeadWeight: probability.default(0.5)
}).strict()

