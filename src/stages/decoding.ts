// Turning model outputs into decisions: softmax, BIO labels (constrained) and spans.

export function softmax (logits: ArrayLike<number>, offset = 0, size = logits.length - offset): number[] {
  let max = -Infinity
  for (let i = 0; i < size; i++) max = Math.max(max, logits[offset + i] as number)
  const exps: number[] = []
  let sum = 0
  for (let i = 0; i < size; i++) {
    const value = Math.exp((logits[offset + i] as number) - max)
    exps.push(value)
    sum += value
  }
  return exps.map((value) => value / sum)
}

export function argmax (values: readonly number[]): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i
  return best
}

export const BIO_LABELS = ['O', 'B', 'I'] as const
export type BioLabel = typeof BIO_LABELS[number]

export interface WordSpan {
  /** First word of the span. */
  start: number
  /** One past the last word. */
  end: number
  /** Mean probability of the chosen label over the span's words. */
  score: number
}

/**
 * Per-word labels and their probabilities into spans. An `I` that does not
 * continue a span starts one (the usual repair of orphan `I` tags).
 */
export function decodeBioSpans (labels: readonly BioLabel[], probabilities: readonly number[]): WordSpan[] {
  const spans: WordSpan[] = []
  let open: { start: number, total: number } | null = null
  const close = (end: number): void => {
    if (open === null) return
    spans.push({ start: open.start, end, score: open.total / (end - open.start) })
    open = null
  }
  labels.forEach((label, i) => {
    const probability = probabilities[i] ?? 0
    if (label === 'O') {
      close(i)
    } else if (label === 'B' || open === null) {
      close(i)
      open = { start: i, total: probability }
    } else {
      open.total += probability
    }
  })
  close(labels.length)
  return spans
}

/** Index of the largest of three scores; ties go to the lower index (the Python contract does the same). */
function best3 (a: number, b: number, c: number): 0 | 1 | 2 {
  if (a >= Math.max(b, c)) return 0
  return b >= c ? 1 : 2
}

/**
 * The contract's label choice: the most probable O/B/I sequence in which an
 * `I` never follows `O` or starts the text (Viterbi; words scored
 * independently, log-probabilities floored at 1e-12). Where the per-word
 * argmax has no orphan `I` the two agree. Mirrors `bio_labels` in
 * training/gmner/metrics.py.
 */
export function bioLabels (probabilities: ReadonlyArray<readonly number[]>): BioLabel[] {
  if (probabilities.length === 0) return []
  const log = (row: readonly number[], label: number): number => Math.log(Math.max(row[label] ?? 0, 1e-12))
  const first = probabilities[0] as readonly number[]
  // score: the best log-probability of a labelling so far ending in O, B, I.
  let score: [number, number, number] = [log(first, 0), log(first, 1), -Infinity]
  const back: Array<[number, number, number]> = []
  for (const row of probabilities.slice(1)) {
    const fromAny = best3(...score)
    const fromSpan = score[1] >= score[2] ? 1 : 2
    back.push([fromAny, fromAny, fromSpan])
    score = [score[fromAny] + log(row, 0), score[fromAny] + log(row, 1), score[fromSpan] + log(row, 2)]
  }
  let label: number = best3(...score)
  const labels = [label]
  for (let i = back.length - 1; i >= 0; i--) {
    label = (back[i] as [number, number, number])[label] as number
    labels.push(label)
  }
  return labels.reverse().map((id) => BIO_LABELS[id] as BioLabel)
}
