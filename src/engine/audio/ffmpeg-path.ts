import {execFile} from 'node:child_process'
import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {delimiter, join} from 'node:path'

import {WhisperStreamError} from '../errors.js'

/** Environment variable naming the ffmpeg binary, checked after an explicit path. */
export const FFMPEG_ENV = 'WHISPER_STREAM_FFMPEG'

const VERSION_CHECK_TIMEOUT_MS = 15_000

/** Where the binary came from, in resolution order. */
export type FfmpegSource = 'explicit' | 'env' | 'path' | 'packaged'

/** Seams for tests; production callers pass nothing. */
export interface FfmpegLookup {
  env?: NodeJS.ProcessEnv
  /** Path of the binary shipped by @ffmpeg-installer/ffmpeg, or undefined when the package has none. */
  packagedPath?: () => string | undefined
}

const cache = new Map<string, Promise<string>>()

/** Forgets resolved paths (tests, or after the user installed ffmpeg). */
export function clearFfmpegCache(): void {
  cache.clear()
}

/**
 * Finds a working ffmpeg: `explicit` (the user's choice), then $WHISPER_STREAM_FFMPEG, then `ffmpeg` on
 * PATH, then the binary of @ffmpeg-installer/ffmpeg. Checks that it runs (`ffmpeg -version`) and caches the
 * answer per (explicit, env, PATH). An explicit or env path that does not run is an error, not a fallback.
 * Rejects with 'ffmpeg-missing' when nothing works.
 */
export function resolveFfmpeg(explicit?: string, lookup: FfmpegLookup = {}): Promise<string> {
  const env = lookup.env ?? process.env
  const key = JSON.stringify([explicit ?? '', env[FFMPEG_ENV] ?? '', env.PATH ?? '', lookup.packagedPath ? 'custom' : ''])
  let answer = cache.get(key)
  if (!answer) {
    answer = find(explicit, env, lookup.packagedPath ?? packagedFfmpeg)
    cache.set(key, answer)
    answer.catch(() => cache.delete(key))
  }
  return answer
}

async function find(explicit: string | undefined, env: NodeJS.ProcessEnv, packaged: () => string | undefined): Promise<string> {
  if (explicit) return mustRun(explicit, explicit, true)
  const fromEnv = env[FFMPEG_ENV]
  if (fromEnv) return mustRun(fromEnv, `${FFMPEG_ENV}=${fromEnv}`, false)

  const onPath = await findOnPath('ffmpeg', env.PATH ?? '')
  if (onPath && (await runs(onPath))) return onPath

  const bundled = packaged()
  if (bundled && (await runs(bundled))) return bundled

  throw new WhisperStreamError('ffmpeg-missing', 'ffmpeg not found: it is not on PATH and the bundled binary is unavailable', {
    hint: `install ffmpeg (e.g. apt install ffmpeg, brew install ffmpeg), or set ${FFMPEG_ENV}`,
    details: {reason: 'ffmpeg-not-found', envVar: FFMPEG_ENV},
  })
}

async function mustRun(path: string, origin: string, explicit: boolean): Promise<string> {
  if (await runs(path)) return path
  throw new WhisperStreamError('ffmpeg-missing', `ffmpeg from ${origin} does not run`, {
    hint: 'point it at a working ffmpeg binary, or drop it to use the one on PATH',
    details: explicit ? {reason: 'ffmpeg-does-not-run', path} : undefined,
  })
}

/** True when `path -version` exits 0. */
function runs(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(path, ['-version'], {timeout: VERSION_CHECK_TIMEOUT_MS, windowsHide: true}, (error, stdout) => {
      resolve(!error && /ffmpeg version/i.test(String(stdout)))
    })
  })
}

async function findOnPath(name: string, pathVariable: string): Promise<string | undefined> {
  const names = process.platform === 'win32' ? [`${name}.exe`, `${name}.cmd`, name] : [name]
  for (const dir of pathVariable.split(delimiter)) {
    if (!dir) continue
    for (const candidate of names) {
      const full = join(dir, candidate)
      try {
        if ((await stat(full)).isFile()) {
          await access(full, constants.X_OK)
          return full
        }
      } catch {
        // not here
      }
    }
  }
  return undefined
}

/** The binary of @ffmpeg-installer/ffmpeg; that package throws (a string) when its platform package is absent. */
function packagedFfmpeg(): string | undefined {
  try {
    const require = createRequire(import.meta.url)
    const installer = require('@ffmpeg-installer/ffmpeg') as {path?: string}
    return installer.path
  } catch {
    return undefined
  }
}
