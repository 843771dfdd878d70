// Module resolve hook for the TypeScript loader used under vitest (see
// test/support/load-ts.mjs): a worker thread is started from a file URL such as
// src/stages/text-worker.js, which exists only once tsc has built dist/. When
// that .js file is missing, load the .ts source beside it instead.
import { URL } from 'node:url'

export async function resolve (specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js')) throw error
    const url = specifier.startsWith('file:') || !context.parentURL ? specifier : new URL(specifier, context.parentURL).href
    if (!url.startsWith('file:')) throw error
    return nextResolve(url.slice(0, -3) + '.ts', context)
  }
}
