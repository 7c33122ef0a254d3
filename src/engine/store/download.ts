import {createHash, type Hash} from 'node:crypto'
import {createReadStream, createWriteStream} from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import {Readable, Transform, type Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {setTimeout as sleep} from 'node:timers/promises'
import {WhisperStreamError, isWhisperStreamError} from '../errors.js'
import {backoffDelay, defaultBackoff} from './backoff.js'
import type {HubClient} from './hub-client.js'

/**
 * One file from the hub into its blob: written to `<blob>.incomplete` (huggingface_hub's own
 * name, so either tool resumes the other's partial file), hashed while it is written,
 * checked against the hub's size and hash, then renamed into place. An interrupted transfer
 * resumes with a Range request; a bad one is deleted, never renamed.
 */

export type ProgressEvent =
  | {type: 'start'; file: string; total: number; resumedFrom: number}
  | {type: 'progress'; file: string; bytes: number; total: number}
  | {type: 'done'; file: string; total: number; cached: boolean}
  | {type: 'retry'; file: string; bytes: number; total: number; reason: string; delayMs: number}

export type ProgressListener = (event: ProgressEvent) => void

export interface DownloadOptions {
  client: HubClient
  url: string
  /** Final blob path; the partial file is `${dest}.incomplete`. */
  dest: string
  /** Name shown in progress. */
  file: string
  size: number
  /** 64 hex: sha256 of the content; 40 hex: git blob sha1. */
  etag: string
  onProgress?: ProgressListener
  signal?: AbortSignal
  /** Resume attempts after a transfer is cut. */
  retries?: number
  /** For tests: where bytes are written. */
  openWrite?: (file: string) => Writable
}

const hasherFor = (etag: string, size: number): Hash | undefined => {
  if (/^[0-9a-f]{64}$/.test(etag)) return createHash('sha256')
  if (/^[0-9a-f]{40}$/.test(etag)) return createHash('sha1').update(`blob ${size}\0`)
  return undefined
}

async function hashExisting(file: string, hash: Hash | undefined): Promise<void> {
  if (!hash) return
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
}

const sizeOf = async (file: string): Promise<number> => (await fs.stat(file).catch(() => undefined))?.size ?? 0

export function fsError(error: unknown, file: string): WhisperStreamError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new WhisperStreamError('disk-full', `Disk full while writing ${file}`, {
      hint: 'free some space, or point HF_HUB_CACHE at a larger disk',
      cause: error,
    })
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new WhisperStreamError('internal', `Cannot write the model cache (${code}) at ${file}`, {
      hint: 'set HF_HUB_CACHE to a writable directory',
      cause: error,
    })
  return new WhisperStreamError('internal', `Cannot write ${file}: ${(error as Error).message}`, {cause: error})
}

/** Returns true when the blob was already there. */
export async function downloadBlob(options: DownloadOptions): Promise<boolean> {
  const {client, url, dest, file, size, etag, onProgress, signal} = options
  if ((await sizeOf(dest)) === size && (await fs.stat(dest).catch(() => undefined))?.isFile()) {
    onProgress?.({type: 'done', file, total: size, cached: true})
    return true
  }
  const temp = `${dest}.incomplete`
  await fs.mkdir(path.dirname(dest), {recursive: true}).catch((error) => {
    throw fsError(error, dest)
  })
  const retries = options.retries ?? 3
  let attempt = 0
  let announced = false
  /** Waits out the backoff before the next resume; false when no retry is left. */
  const retry = async (bytes: number, reason: string): Promise<boolean> => {
    if (attempt >= retries) return false
    const delayMs = backoffDelay(attempt++, client.settings.backoff ?? defaultBackoff)
    onProgress?.({type: 'retry', file, bytes, total: size, reason, delayMs})
    await sleep(delayMs, undefined, {signal}).catch((error: unknown) => {
      throw new WhisperStreamError('aborted', 'Download cancelled', {cause: error})
    })
    return true
  }
  for (;;) {
    let start = await sizeOf(temp)
    if (start > size) {
      await fs.rm(temp, {force: true})
      start = 0
    }
    let response: Response | undefined
    try {
      response = start === size && size > 0 ? undefined : await client.getContent(url, start, signal, file)
    } catch (error) {
      // A connection that fails before any answer (reset, refused while the server restarts, a 5xx) is
      // as transient as one cut mid-body; answers such as 401 or 404 are not, and end the pull.
      if (isWhisperStreamError(error) && error.code === 'network' && (await retry(start, error.message))) continue
      throw error
    }
    if (response && response.status !== 206 && start > 0) start = 0 // the server ignored the Range: start over
    const hash = hasherFor(etag, size)
    if (start > 0) await hashExisting(temp, hash)
    if (!announced) onProgress?.({type: 'start', file, total: size, resumedFrom: start})
    announced = true
    let bytes = start
    try {
      if (response?.body) {
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash?.update(chunk)
            bytes += chunk.length
            onProgress?.({type: 'progress', file, bytes, total: size})
            callback(null, chunk)
          },
        })
        const sink = options.openWrite ? options.openWrite(temp) : createWriteStream(temp, {flags: start > 0 ? 'a' : 'w'})
        // A cut connection must not take bytes already received with it: the source ends cleanly,
        // the file gets everything that arrived, and the cut is raised once the file is flushed.
        let cut: Error | undefined
        const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)
        const received = async function* (): AsyncGenerator<Buffer> {
          try {
            for await (const chunk of body) yield chunk as Buffer
          } catch (error) {
            cut = error as Error
          }
        }
        await pipeline(received, counter, sink, {signal})
        if (signal?.aborted) throw new WhisperStreamError('aborted', 'Download cancelled', {cause: signal.reason})
        if (cut !== undefined) throw cut
      }
    } catch (error) {
      if (isWhisperStreamError(error)) throw error
      const code = (error as NodeJS.ErrnoException).code
      if (code && /^E[A-Z]+$/.test(code) && code !== 'ECONNRESET' && code !== 'ETIMEDOUT') {
        await fs.rm(temp, {force: true})
        throw fsError(error, temp)
      }
      if ((error as Error).name === 'AbortError') throw new WhisperStreamError('aborted', 'Download cancelled', {cause: error})
      if (await retry(bytes, (error as Error).message)) continue
      throw new WhisperStreamError('network', `The transfer of ${file} was cut off at ${bytes} of ${size} bytes`, {
        hint: 'run the same command again to resume',
        cause: error,
      })
    }
    const written = await sizeOf(temp)
    if (written < size) {
      // A body that ended early without an error: keep the partial file and resume it.
      if (await retry(written, 'the body ended early')) continue
      throw new WhisperStreamError('network', `The transfer of ${file} ended at ${written} of ${size} bytes`, {
        hint: 'run the same command again to resume',
      })
    }
    const digest = hash?.digest('hex')
    if (written !== size || (digest !== undefined && digest !== etag)) {
      await fs.rm(temp, {force: true})
      throw new WhisperStreamError(
        'checksum',
        written !== size
          ? `Size mismatch for ${file}: expected ${size} bytes, got ${written}`
          : `Checksum mismatch for ${file}: expected ${etag}, got ${digest}`,
        {hint: 'the partial file was deleted; run the same command again'},
      )
    }
    await fs.rename(temp, dest).catch((error) => {
      throw fsError(error, dest)
    })
    onProgress?.({type: 'done', file, total: size, cached: false})
    return false
  }
}
