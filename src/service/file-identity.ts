// The files a run reads and writes must be different files: a run told to
// write its entity documents over its own input (or its dead letters over its
// documents) would destroy what the user pointed it at. Paths are compared by
// what they name, before anything is opened: an existing file by device and
// inode (symlinks followed, so a link, a hard link or `./x` is caught), a file
// still to be made by its absolute path with the existing part resolved.
import { realpathSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { GroundstreamError } from '../errors/index.js'

export interface NamedPath {
  /** How the user named it: `--input`, `--output`, `--dead-letters`. */
  flag: string
  path: string
}

/** What a path names: `file:<dev>:<ino>` for an existing file, else `path:<resolved absolute path>`. */
export function fileIdentity (path: string): string {
  const absolute = resolve(path)
  try {
    const stat = statSync(absolute)
    return `file:${stat.dev}:${stat.ino}`
  } catch {
    // Not there yet: resolve the deepest folder that exists, keep the rest as written.
    let head = absolute
    const rest: string[] = []
    for (;;) {
      try {
        return `path:${join(realpathSync(head), ...rest)}`
      } catch {
        const parent = dirname(head)
        if (parent === head) return `path:${absolute}`
        rest.unshift(basename(head))
        head = parent
      }
    }
  }
}

/** Throws a usage error (exit 2) naming both flags when two of `paths` are the same file. */
export function assertDistinctFiles (paths: readonly NamedPath[]): void {
  const seen = new Map<string, NamedPath>()
  for (const entry of paths) {
    const identity = fileIdentity(entry.path)
    const earlier = seen.get(identity)
    if (earlier !== undefined) {
      const same = earlier.path === entry.path ? `'${entry.path}'` : `'${earlier.path}' and '${entry.path}'`
      throw new GroundstreamError('GS_ERR_USAGE', `${earlier.flag} and ${entry.flag} name the same file (${same}); give each its own file, nothing was written`, {
        details: { flags: [earlier.flag, entry.flag], paths: [earlier.path, entry.path] }
      })
    }
    seen.set(identity, entry)
  }
}
