// A raw HTTP/1.1 client on a plain socket, so that the HTTP fuzzer can send what fetch would refuse to: malformed
// multipart, bad chunked encoding, oversized headers, bodies that trickle or break off.
import net from 'node:net'
import {sleep} from './wait.js'

export interface RawResponse {
  /** 0: no status line arrived (the connection failed or was closed without an answer). */
  status: number
  headers: Record<string, string>
  body: string
  /** The answer did not come within the bound. */
  timedOut: boolean
}

export interface RawRequest {
  /** Request line and headers, without the blank line that ends them ('' sends only `body`, raw). */
  head: string
  body?: Buffer
  /** Sends the body in pieces of this size with `pauseMs` between them (a slow client); default: at once. */
  pieceBytes?: number
  pauseMs?: number
  /** Closes the connection after sending this many body bytes, without reading an answer. */
  dropAfter?: number
  timeoutMs: number
}

/** Sends one request on a fresh connection and reads the answer until the server closes it (or its body is complete). */
export function rawRequest(url: string, request: RawRequest): Promise<RawResponse> {
  const {hostname, port} = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname)
    const chunks: Buffer[] = []
    let settled = false
    const finish = (timedOut = false): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(parseResponse(Buffer.concat(chunks), timedOut))
    }
    const timer = setTimeout(() => finish(true), request.timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (complete(Buffer.concat(chunks))) finish()
    })
    socket.on('error', () => finish())
    socket.on('close', () => finish())
    socket.once('connect', () => {
      send(socket, request).catch(() => undefined)
    })
  })
}

async function send(socket: net.Socket, request: RawRequest): Promise<void> {
  if (request.head) socket.write(`${request.head}\r\n\r\n`)
  const body = request.body ?? Buffer.alloc(0)
  const piece = request.pieceBytes ?? (body.length || 1)
  const limit = request.dropAfter ?? body.length
  for (let offset = 0; offset < limit && !socket.destroyed; offset += piece) {
    const part = body.subarray(offset, Math.min(offset + piece, limit))
    if (!socket.write(part)) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve))
    if (request.pauseMs) await sleep(request.pauseMs)
  }
  if (request.dropAfter !== undefined) socket.destroy()
}

/** An answer is complete once its headers and its body (by Content-Length, or the last chunk) are in; a 204/304 has none. */
function complete(data: Buffer): boolean {
  const end = data.indexOf('\r\n\r\n')
  if (end < 0) return false
  const head = data.subarray(0, end).toString('latin1')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
  if (status === 204 || status === 304) return true
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return dechunk(data.subarray(end + 4)) !== undefined
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
  return length !== null && data.length - end - 4 >= Number(length[1])
}

/** A chunked body's bytes, or undefined while its last chunk has not arrived. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = []
  for (let at = 0; ;) {
    const line = data.indexOf('\r\n', at)
    if (line < 0) return undefined
    const size = Number.parseInt(data.subarray(at, line).toString('latin1'), 16)
    if (!Number.isFinite(size)) return undefined
    if (size === 0) return Buffer.concat(parts)
    if (data.length < line + 2 + size + 2) return undefined
    parts.push(data.subarray(line + 2, line + 2 + size))
    at = line + 2 + size + 2
  }
}

function parseResponse(data: Buffer, timedOut: boolean): RawResponse {
  const end = data.indexOf('\r\n\r\n')
  const head = (end < 0 ? data : data.subarray(0, end)).toString('latin1')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of head.split('\r\n').slice(1)) {
    const at = line.indexOf(':')
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim()
  }
  const raw = end < 0 ? Buffer.alloc(0) : data.subarray(end + 4)
  const body = headers['transfer-encoding'] === 'chunked' ? (dechunk(raw) ?? raw) : raw
  return {status, headers, body: body.toString('utf8'), timedOut}
}

export interface FormPart {
  name: string
  value: string | Buffer
  /** Present for a file part. */
  filename?: string
}

/** A multipart/form-data body with this boundary; `final: false` leaves out the closing boundary. */
export function multipart(parts: readonly FormPart[], boundary: string, final = true): Buffer {
  const pieces: Buffer[] = []
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`
    const type = part.filename !== undefined ? 'Content-Type: application/octet-stream\r\n' : ''
    pieces.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`),
      Buffer.from(part.value),
      Buffer.from('\r\n'),
    )
  }
  if (final) pieces.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(pieces)
}

/** A 16 kHz mono 16-bit WAV of `pcm` (float32 in -1..1). */
export function wavOf(pcm: Float32Array): Buffer {
  const samples = pcm.length
  const out = Buffer.alloc(44 + samples * 2)
  out.write('RIFF', 0)
  out.writeUInt32LE(36 + samples * 2, 4)
  out.write('WAVEfmt ', 8)
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(1, 20)
  out.writeUInt16LE(1, 22)
  out.writeUInt32LE(16_000, 24)
  out.writeUInt32LE(32_000, 28)
  out.writeUInt16LE(2, 32)
  out.writeUInt16LE(16, 34)
  out.write('data', 36)
  out.writeUInt32LE(samples * 2, 40)
  for (let i = 0; i < samples; i++) out.writeInt16LE(Math.round(32_767 * Math.max(-1, Math.min(1, pcm[i]))), 44 + i * 2)
  return out
}
