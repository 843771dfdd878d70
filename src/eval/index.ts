// Scoring the service against labelled data (`groundstream eval`,
// `knowledge-dump`): Twitter-GMNER splits, the brand sets, threshold sweeps and
// the training dumps. Everything here runs the service's own pipeline
// (src/service) and scores what it returns.
export { readSplit, type DatasetTweet } from './dataset.js'
export type { Score } from './metrics.js'
export { evaluateUnseen, predictionLines, runEvaluation, seenSurfaces } from './run-eval.js'
export { candidateDump } from './candidate-dump.js'
export { heldOutGain, sweep, type HeldOutEstimate, type RecordedPost, type SweepPoint } from './sweep.js'
export { formatBrandScores, formatBreakdown, parseBrandSet, scoreBrandSet, scoreBreakdown, type BrandBreakdown, type BrandSetScores } from './brand-set.js'
export { brandPostToPost, documentsToPredictions, runBrandSet } from './run-brand-set.js'
export { dumpKnowledge } from './knowledge-dump.js'
