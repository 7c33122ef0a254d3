// Where the benchmark keeps generated models and audio: <repo>/.cache/bench-*/.
import {existsSync, readFileSync} from 'node:fs'
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

export const cacheDir = (name: string): string => path.join(findRepoRoot(), '.cache', name)
