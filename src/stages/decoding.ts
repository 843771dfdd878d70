// Turning model outputs into decisions: softmax, BIO span decoding.

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
