// Where the benchmark keeps generated models and audio.
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

let root: string | undefined

/** The repository root: the nearest folder above this file whose package.json is whisper-stream's (works from bench/ and dist/bench/). */
export function findRepoRoot(): string {
  if (root) return root
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = path.join(dir, 'package.json')
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as {name?: string}).name === 'whisper-stream') return (root = dir)
      } catch {
        // not ours
      }
    }
    const up = path.dirname(dir)
    if (up === dir) return (root = process.cwd())
    dir = up
  }
}

/**
 * <repo>/.cache/<name> in a source checkout; in an installed package (no tsconfig.json beside it, and
 * often a folder the user cannot write) the user's cache: $XDG_CACHE_HOME/whisper-stream/<name>.
 */
export function cacheDir(name: string): string {
  const root = findRepoRoot()
  if (existsSync(path.join(root, 'tsconfig.json'))) return path.join(root, '.cache', name)
  return path.join(process.env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache'), 'whisper-stream', name)
}
