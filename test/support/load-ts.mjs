// Preloaded (node --import) into each vitest fork, and inherited from there by
// the worker threads the code under test starts (text models, image pool).
// vitest transforms the test files and what they import itself, but a worker
// thread is a plain Node thread: tsx lets it run src/**/*.ts directly, so the
// tests need no build step.
import { register } from 'node:module'
import { register as registerTsx } from 'tsx/esm/api'

registerTsx()
// Registered after tsx, so it runs first and falls back to .ts when a .js is missing.
register('./ts-hooks.mjs', import.meta.url)
