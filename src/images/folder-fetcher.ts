// An ImageFetcher that reads images from a local folder instead of the network:
// for evaluating on a data set whose images are on disk (Twitter-GMNER's
// `<image id>.jpg`). A URL's last path segment names the file; anything that
// could leave the folder is refused.
import { open } from 'node:fs/promises'
import path from 'node:path'
import type { FetchOutcome, ImageFetcher } from './fetch.js'
import { sniffFormat } from './sniff.js'

export function createFolderFetcher (folder: string, maxBytes = 32 * 1024 * 1024): ImageFetcher {
  const root = path.resolve(folder)
  return Object.freeze({
    async fetch (url: string): Promise<FetchOutcome> {
      let name: string
      try {
        name = decodeURIComponent(new URL(url, 'file:///').pathname.split('/').pop() ?? '')
      } catch {
        return { ok: false, status: 'refused_scheme', reason: 'not a valid image reference' }
      }
      if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
        return { ok: false, status: 'refused_scheme', reason: `no file name in ${url}` }
      }
      const file = path.join(root, name)
      let handle
      try {
        handle = await open(file, 'r')
      } catch (error) {
        return { ok: false, status: 'fetch_error', reason: `cannot open ${file}: ${(error as Error).message}` }
      }
      try {
        const { size } = await handle.stat()
        if (size > maxBytes) return { ok: false, status: 'refused_size', reason: `${file} is ${size} bytes` }
        const bytes = await handle.readFile()
        const format = sniffFormat(bytes)
        if (format === null) return { ok: false, status: 'refused_type', reason: `${file} is not a recognised image` }
        return { ok: true, image: { url, bytes, format, contentType: null, redirects: 0 } }
      } finally {
        await handle.close()
      }
    },
    async close (): Promise<void> {},
    async destroy (): Promise<void> {}
  })
}

/**
 * URLs under one of `folders`' prefixes are read from that folder; all others
 * go to `network` (the guarded fetcher), so the SSRF guard is unchanged for
 * every URL an operator did not map.
 */
export function createRoutedFetcher (folders: ReadonlyArray<{ urlPrefix: string, folder: string }>, network: ImageFetcher, maxBytes?: number): ImageFetcher {
  if (folders.length === 0) return network
  const routes = folders.map((f) => ({ prefix: f.urlPrefix, fetcher: createFolderFetcher(f.folder, maxBytes) }))
  return Object.freeze({
    async fetch (url: string, signal?: AbortSignal): Promise<FetchOutcome> {
      const route = routes.find((r) => url.startsWith(r.prefix))
      if (route === undefined) return await network.fetch(url, signal)
      // A prefix maps a flat folder: a deeper path is not one of its files.
      if (url.slice(route.prefix.length).includes('/')) return { ok: false, status: 'refused_scheme', reason: `${url} is not a file directly under ${route.prefix}` }
      return await route.fetcher.fetch(url)
    },
    close: async () => { await network.close() },
    destroy: async () => { await network.destroy() }
  })
}
