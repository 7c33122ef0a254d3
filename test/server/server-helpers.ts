// Shared by the server tests: a real server on 127.0.0.1 port 0 with a generated model, and a ws client
// that records every message and how the socket closed.
import {WebSocket} from 'ws'
import {Engine} from '../../src/engine/engine.js'
import {defaultServeOptions, startServer, type RunningServer, type ServeOptions} from '../../src/server/http-server.js'
import type {ServerMessage} from '../../src/server/protocol.js'
import {testModel, type TestModelName} from '../helpers/test-models.js'

const engines = new Map<string, Promise<Engine>>()

export function loadTestEngine(name: TestModelName = 'mini'): Promise<Engine> {
  let engine = engines.get(name)
  if (!engine) {
    engine = testModel(name).then((dir) => Engine.load(dir))
    engines.set(name, engine)
  }
  return engine
}

/**
 * Greedy decoding for tests of the server's plumbing: random weights fail every check of Whisper's
 * temperature fallback, so its schedule would decode each window six times over for nothing here.
 * The decoding tests (test/engine/decode) cover the schedule.
 */
export const greedy = {temperatures: [0], beamSize: 1}

export async function serve(overrides: Partial<ServeOptions> = {}, logs: string[] = []): Promise<RunningServer> {
  return startServer({
    ...defaultServeOptions,
    host: '127.0.0.1',
    port: 0,
    decoding: {live: greedy, file: greedy},
    engine: await loadTestEngine(),
    log: (line) => logs.push(line),
    ...overrides,
  })
}

export interface ClientResult {
  messages: ServerMessage[]
  closeCode: number
  closeReason: string
}

export interface Client {
  ws: WebSocket
  opened: Promise<void>
  closed: Promise<ClientResult>
  messages: ServerMessage[]
  /** Resolves with the first message of that type. */
  waitFor: (type: ServerMessage['type']) => Promise<ServerMessage>
}

export function connect(url: string, options: {headers?: Record<string, string>} = {}): Client {
  const ws = new WebSocket(url, {headers: options.headers})
  const messages: ServerMessage[] = []
  const waiters: Array<{type: string; resolve: (m: ServerMessage) => void}> = []
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as ServerMessage
    messages.push(message)
    for (const waiter of waiters.filter((w) => w.type === message.type)) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(message)
    }
  })
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), {status: res.statusCode})))
  })
  opened.catch(() => {})
  const closed = new Promise<ClientResult>((resolve) => {
    ws.on('error', () => {})
    ws.once('close', (code, reason) => resolve({messages, closeCode: code, closeReason: reason.toString()}))
  })
  const waitFor = (type: ServerMessage['type']): Promise<ServerMessage> => {
    const found = messages.find((m) => m.type === type)
    if (found) return Promise.resolve(found)
    return new Promise((resolve) => waiters.push({type, resolve}))
  }
  return {ws, opened, closed, messages, waitFor}
}

/** Sends 16 kHz float32 PCM as binary frames of `frameSamples`, optionally paced to real time. */
export async function sendPcm(ws: WebSocket, pcm: Float32Array, options: {frameSamples?: number; realtime?: boolean} = {}): Promise<void> {
  const frame = options.frameSamples ?? 1600
  const started = performance.now()
  for (let offset = 0; offset < pcm.length; offset += frame) {
    const part = pcm.slice(offset, offset + frame)
    ws.send(Buffer.from(part.buffer))
    if (options.realtime) {
      const due = started + (offset + frame) / 16 // ms at 16 kHz
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    } else if (offset % (frame * 10) === 0) {
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}

export const streamUrl = (server: RunningServer, query = ''): string => `${server.url.replace('http', 'ws')}/v1/stream${query}`
