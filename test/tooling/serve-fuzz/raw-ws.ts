// A raw WebSocket client (RFC 6455) on a plain socket, so that the fuzzer can send what `ws` would refuse to.
import net from 'node:net'
import {randBytes, type Rng} from './rng.js'
import {sleep} from './wait.js'

export interface FrameSpec {
  opcode: number
  payload: Buffer
  fin?: boolean
  /** RSV1..3 as bits 4..6 of the first byte (0x40, 0x20, 0x10). */
  rsv?: number
  mask?: boolean
  /** 'min': the shortest length encoding; 16 / 64: force the 126 / 127 form. */
  lengthForm?: 'min' | 16 | 64
  /** Length written in the header when it differs from the payload sent (a frame that claims more). */
  declaredLength?: number
}

export function encodeFrame(spec: FrameSpec, maskKey: Buffer): Buffer {
  const len = spec.declaredLength ?? spec.payload.length
  const form = spec.lengthForm ?? 'min'
  const b0 = (spec.fin === false ? 0 : 0x80) | ((spec.rsv ?? 0) & 0x70) | (spec.opcode & 0x0f)
  const maskBit = spec.mask === false ? 0 : 0x80
  let header: Buffer
  if (form === 'min' && len < 126) header = Buffer.from([b0, maskBit | len])
  else if (form !== 64 && len < 65_536) {
    header = Buffer.from([b0, maskBit | 126, 0, 0])
    header.writeUInt16BE(len, 2)
  } else {
    header = Buffer.alloc(10)
    header[0] = b0
    header[1] = maskBit | 127
    header.writeBigUInt64BE(BigInt(len), 2)
  }
  if (spec.mask === false) return Buffer.concat([header, spec.payload])
  const masked = Buffer.alloc(spec.payload.length)
  for (let i = 0; i < masked.length; i++) masked[i] = spec.payload[i] ^ maskKey[i & 3]
  return Buffer.concat([header, maskKey, masked])
}

export type ServerMessage = {type: string; [key: string]: unknown}

/**
 * A WebSocket client written on a bare TCP socket, so it can send what `ws` refuses to (unmasked frames,
 * reserved bits and opcodes, lying lengths, invalid UTF-8), stop reading, or drop the connection mid-frame.
 */
export class RawWs {
  readonly messages: ServerMessage[] = []
  /** The code of the server's close frame (1005 when it had none); undefined until one arrives. */
  closeCode: number | undefined
  pongs = 0
  ended = false
  readonly closed: Promise<void>
  private buffer: Buffer = Buffer.alloc(0)
  private readonly onData = (data: Buffer): void => this.parse(data)

  constructor(
    readonly socket: net.Socket,
    leftover: Buffer,
    private readonly rng: Rng,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    this.closed.then(() => (this.ended = true)).catch(() => undefined) // closed never rejects
    socket.on('data', this.onData)
    if (leftover.length > 0) this.parse(leftover)
  }

  send(spec: FrameSpec): boolean {
    if (this.ended || this.socket.destroyed || this.socket.writableEnded) return false
    return this.socket.write(encodeFrame(spec, randBytes(this.rng, 4)))
  }
  text(value: string | object): boolean {
    return this.send({opcode: 1, payload: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))})
  }
  binary(bytes: Buffer): boolean {
    return this.send({opcode: 2, payload: bytes})
  }
  /** Stops reading: the kernel buffers fill and the server's writes queue up behind them. */
  stopReading(): void {
    this.socket.off('data', this.onData)
    this.socket.pause()
  }
  /** Drops the TCP connection without a close frame: FIN, or RST with `reset`. */
  drop(reset: boolean): void {
    if (reset && typeof this.socket.resetAndDestroy === 'function') this.socket.resetAndDestroy()
    else this.socket.destroy()
  }
  /** Waits (bounded) until the server closes; on timeout drops the socket and returns false. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))
    const ok = await Promise.race([this.closed.then(() => true), timedOut])
    clearTimeout(timer)
    if (!ok) this.socket.destroy()
    return ok
  }
  /** Waits (bounded) for the first message of `type`. */
  async waitFor(type: string, timeoutMs: number): Promise<ServerMessage | undefined> {
    const deadline = Date.now() + timeoutMs
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      const found = this.messages.find((m) => m.type === type)
      if (found || this.ended) return found
      await sleep(10)
    }
    return undefined
  }
  /** Waits until the socket's write buffer is below `bytes` (bounded). */
  async drained(bytes = 1 << 20, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.socket.writableLength > bytes && !this.ended && Date.now() < deadline) await sleep(5)
  }

  private parse(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data])
    for (let guard = 0; guard < 100_000; guard++) {
      const b = this.buffer
      if (b.length < 2) return
      const opcode = b[0] & 0x0f
      let len = b[1] & 0x7f
      let offset = 2
      if (len === 126) {
        if (b.length < 4) return
        len = b.readUInt16BE(2)
        offset = 4
      } else if (len === 127) {
        if (b.length < 10) return
        len = Number(b.readBigUInt64BE(2))
        offset = 10
      }
      if (b.length < offset + len) return
      const payload = b.subarray(offset, offset + len)
      this.buffer = b.subarray(offset + len)
      if (opcode === 1) {
        try {
          this.messages.push(JSON.parse(payload.toString('utf8')) as ServerMessage)
        } catch {
          this.messages.push({type: '(not json)', text: payload.toString('utf8').slice(0, 200)})
        }
      } else if (opcode === 8) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
        // Answer the close handshake, then end our side.
        this.send({opcode: 8, payload: payload.subarray(0, 2)})
        this.socket.end()
      } else if (opcode === 10) this.pongs++
    }
  }
}

export interface Upgrade {
  /** 101 when upgraded, else the HTTP status of the refusal (0: the connection failed). */
  status: number
  ws?: RawWs
}

/** Opens `ws://…/v1/stream?query` on a raw socket (bounded); a refusal gives its HTTP status. */
export async function rawConnect(
  url: string,
  pathAndQuery: string,
  rng: Rng,
  options: {headers?: Record<string, string>; timeoutMs?: number} = {},
): Promise<Upgrade> {
  const {hostname, port} = new URL(url)
  const socket = net.connect({host: hostname, port: Number(port)})
  socket.setNoDelay(true)
  socket.on('error', () => {})
  const key = randBytes(rng, 16).toString('base64')
  const headers = Object.entries(options.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  const request = `GET ${pathAndQuery} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`
  return new Promise<Upgrade>((resolve) => {
    let head = Buffer.alloc(0)
    const finish = (result: Upgrade): void => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      resolve(result)
    }
    const onData = (data: Buffer): void => {
      head = Buffer.concat([head, data])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0)
      if (status !== 101) {
        socket.destroy()
        return finish({status})
      }
      finish({status, ws: new RawWs(socket, head.subarray(end + 4), rng)})
    }
    const onClose = (): void => finish({status: 0})
    const timer = setTimeout(() => {
      socket.destroy()
      finish({status: 0})
    }, options.timeoutMs ?? 10_000)
    socket.on('data', onData)
    socket.once('close', onClose)
    socket.once('connect', () => socket.write(request))
  })
}
