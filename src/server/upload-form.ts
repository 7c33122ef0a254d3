import {createWriteStream} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import type {IncomingMessage} from 'node:http'
import {tmpdir} from 'node:os'
import path from 'node:path'
import type {Readable} from 'node:stream'
import busboy from 'busboy'
import {HttpError} from './http-error.js'

export interface FormPart {
  name: string
  kind: 'field' | 'file'
  /** A field's value; a file part's file name. */
  value: string
  /** The value (or the name) was longer than the field limit. */
  truncated: boolean
}

export interface SpooledFile {
  path: string
  bytes: number
}

/** A whole multipart form, read to its end: every part in order, and the first file part named `file` on disk. */
export interface UploadForm {
  parts: FormPart[]
  file: SpooledFile | undefined
  /** Removes the spooled file. Idempotent. */
  dispose(): Promise<void>
}

export interface FormLimits {
  maxFileBytes: number
  maxFieldBytes: number
  maxParts: number
}

/**
 * Reads a multipart/form-data body to its end before anything acts on it, so every field can be checked whatever
 * its order. The `file` part goes to a private temp directory as it arrives (never held in memory); a file over
 * `maxFileBytes` is cut there and the rest of the body is read and discarded, so the client gets the 413.
 * Rejects with an HttpError (415 not multipart, 400 malformed or too many parts, 413 too large, 500 disk).
 */
export async function readUploadForm(req: IncomingMessage, limits: FormLimits): Promise<UploadForm> {
  const type = req.headers['content-type'] ?? ''
  if (!/^multipart\/form-data\b/i.test(type)) {
    throw new HttpError(
      415,
      `expected a multipart/form-data body with a \`file\` part, got ${type ? `Content-Type ${type.slice(0, 100)}` : 'no Content-Type'}`,
    )
  }
  let parser: busboy.Busboy
  try {
    parser = busboy({
      headers: req.headers,
      limits: {
        fileSize: limits.maxFileBytes,
        fieldSize: limits.maxFieldBytes,
        parts: limits.maxParts,
        fields: limits.maxParts,
        files: limits.maxParts,
      },
    })
  } catch (error) {
    throw new HttpError(400, `malformed multipart Content-Type: ${error instanceof Error ? error.message : String(error)}`)
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'whisper-stream-upload-'))
  const dispose = (): Promise<void> => rm(dir, {recursive: true, force: true})
  if (req.destroyed) {
    // The client left while the directory was made: its 'close' has passed, and the parser would wait forever.
    await dispose()
    throw new HttpError(400, 'the request body ended early')
  }
  try {
    const {parts, file} = await parse(req, parser, path.join(dir, 'file'), limits)
    return {parts, file, dispose}
  } catch (error) {
    await dispose()
    throw error
  }
}

function parse(
  req: IncomingMessage,
  parser: busboy.Busboy,
  filePath: string,
  limits: FormLimits,
): Promise<{parts: FormPart[]; file: SpooledFile | undefined}> {
  return new Promise((resolve, reject) => {
    const parts: FormPart[] = []
    let file: SpooledFile | undefined
    let failure: HttpError | undefined
    let spooled: Promise<void> = Promise.resolve()
    let stopSpool = (): void => {}
    let settled = false
    const fail = (error: HttpError): void => {
      failure ??= error
    }
    const settle = (): void => {
      if (settled) return
      settled = true
      spooled.then(() => (failure ? reject(failure) : resolve({parts, file})), reject)
    }

    parser.on('field', (name, value, info) => {
      parts.push({name, kind: 'field', value, truncated: info.nameTruncated || info.valueTruncated})
    })
    parser.on('file', (name, stream, info) => {
      parts.push({name, kind: 'file', value: info.filename ?? '', truncated: false})
      // The parser destroys a part's stream with an error when the body breaks off inside it.
      stream.on('error', () => {})
      if (name !== 'file' || file || failure) return void stream.resume()
      const spool: SpooledFile = {path: filePath, bytes: 0}
      file = spool
      const spooling = spoolTo(stream, spool)
      // Answered at once: waiting for the rest of a body that is refused anyway could outlast the request timeout.
      stream.on('limit', () => {
        fail(new HttpError(413, `the file is larger than ${limits.maxFileBytes} bytes`, 'file', 'file_too_large'))
        spooling.stop()
        settle()
      })
      stopSpool = spooling.stop
      spooled = spooling.done.catch((error: unknown) => {
        fail(new HttpError(500, `could not store the upload: ${error instanceof Error ? error.message : String(error)}`, 'file'))
      })
    })
    parser.on('partsLimit', () => fail(new HttpError(400, `too many form parts (more than ${limits.maxParts})`)))
    parser.on('filesLimit', () => fail(new HttpError(400, `too many form parts (more than ${limits.maxParts})`)))
    parser.on('fieldsLimit', () => fail(new HttpError(400, `too many form parts (more than ${limits.maxParts})`)))
    parser.on('error', (error: Error) => {
      fail(new HttpError(400, `malformed multipart body: ${error.message}`))
      stopSpool()
      settle()
    })
    parser.on('close', settle)
    // A client that leaves mid-body: the parser never reaches its end.
    req.on('close', () => {
      if (!req.complete) {
        fail(new HttpError(400, 'the request body ended early'))
        stopSpool()
        settle()
      }
    })
    req.on('error', () => {})
    req.pipe(parser)
  })
}

/**
 * Writes the part to disk with backpressure. On a write error the rest of the part is discarded (the parser must
 * still reach the end of the body); `stop` ends it early (the body broke off) without an error.
 */
function spoolTo(stream: Readable, spool: SpooledFile): {done: Promise<void>; stop: () => void} {
  const out = createWriteStream(spool.path, {flags: 'wx', mode: 0o600})
  let stop = (): void => {}
  const done = new Promise<void>((resolve, reject) => {
    let over = false
    const onData = (chunk: Buffer): void => {
      spool.bytes += chunk.length
      if (!out.write(chunk)) stream.pause()
    }
    const end = (error?: Error): void => {
      if (over) return
      over = true
      stream.off('data', onData)
      stream.resume()
      out.destroy()
      if (error) reject(error)
      else resolve()
    }
    stop = () => end()
    out.on('drain', () => stream.resume())
    out.on('error', (error) => end(error))
    out.on('finish', () => resolve())
    stream.on('error', () => {
      end()
    })
    stream.on('data', onData)
    stream.on('end', () => {
      if (!over) out.end()
    })
  })
  return {done, stop}
}
