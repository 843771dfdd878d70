// How a micro-batch's sequences are cut into ONNX runs. Every run pads its
// sequences to its longest, so one run over a mix of short and long prompts
// pays for the long one on every row (stage 2's prompts on dev tweets: 45
// tokens on average, 84 once padded in one run). Splitting costs a run's
// fixed overhead instead. The plan below is the cheapest cut of the
// length-sorted sequences under that cost model, found exactly by dynamic
// programming (n is a micro-batch's candidates, so O(n · maxPerRun) is tiny).
// A sequence's result never depends on which run it lands in (the models are
// batch-invariant), so the plan changes speed only.

export interface RunPlanOptions {
  /** Largest number of sequences in one run. */
  maxPerRun: number
  /** What one more run costs, in padded tokens (measured: docs/operations.md). */
  runCostTokens: number
}

/**
 * Indices of `lengths` grouped into runs: each run is a contiguous slice of
 * the indices sorted by length (ties keep input order), minimising
 * Σ (runCostTokens + rows × longest) over the runs.
 */
export function planRuns (lengths: readonly number[], options: RunPlanOptions): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b)
  const n = order.length
  const best = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY)
  const cut = new Int32Array(n + 1)
  best[0] = 0
  for (let end = 1; end <= n; end++) {
    const longest = lengths[order[end - 1] as number] as number
    for (let start = Math.max(0, end - options.maxPerRun); start < end; start++) {
      const cost = (best[start] as number) + options.runCostTokens + (end - start) * longest
      if (cost < (best[end] as number)) {
        best[end] = cost
        cut[end] = start
      }
    }
  }
  const runs: number[][] = []
  for (let end = n; end > 0; end = cut[end] as number) runs.push(order.slice(cut[end] as number, end))
  return runs.reverse()
}
