// One-line descriptions of what a canonical id is, cut from a source's text.

const MAX_DESCRIPTION_CHARS = 200

/** The first sentence of a knowledge text, without a leading `Title:`, at most 200 characters. */
export function firstSentence (text: string): string {
  const body = text.replace(/^[^:]{1,120}:\s+/u, '')
  const end = body.search(/(?<!\b\p{Lu})\.(?:\s|$)/u)
  const sentence = (end < 0 ? body : body.slice(0, end)).trim()
  if (sentence.length <= MAX_DESCRIPTION_CHARS) return sentence
  return `${sentence.slice(0, MAX_DESCRIPTION_CHARS - 1).trimEnd()}…`
}
