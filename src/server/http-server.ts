import {existsSync, createReadStream} from 'node:fs'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {WebSocketServer} from 'ws'
import type {Engine} from '../engine/engine.js'
import {authorized, originAllowed, type AccessPolicy} from './auth.js'
import {optionsFromQuery, ProtocolError} from './protocol.js'
import {FairScheduler} from './scheduler.js'
import {defaultSessionLimits, StreamSession, type SessionLimits} from './stream-session.js'
import {handleTranscription} from './transcriptions-endpoint.js'

/** Every tunable of the server, with its default in `defaultServeOptions`. */
export interface ServeOptions {
  host: string
  port: number
  engine: Engine
  /** The id clients see in /v1/models and /health (default: the model's name). */
  modelId?: string
  token?: string | undefined
  allowOrigins: readonly string[]
  /** Inferences run at once across all sessions. */
  concurrency: number
  /** Open WebSocket sessions; more are refused with HTTP 503. */
  maxSessions: number
  /** Largest WebSocket frame, bytes; bigger ones close the session with 1009. */
  maxPayload: number
  /** Largest upload to /v1/audio/transcriptions, bytes. */
  maxFileBytes: number
  limits: SessionLimits
  ffmpegPath?: string | undefined
  log: (line: string) => void
}

export const defaultServeOptions = {
  host: '127.0.0.1',
  port: 8000,
  allowOrigins: [] as string[],
  concurrency: 1,
  maxSessions: 32,
  maxPayload: 1 << 20,
  maxFileBytes: 100 * (1 << 20),
  limits: defaultSessionLimits,
}

export interface RunningServer {
  url: string
  port: number
  readonly sessions: number
  readonly scheduler: FairScheduler
  /** Stops accepting, flushes every session's finals, closes them with 1001. */
  close(): Promise<void>
}

/** The web page's path: resolved once, from this module's own location (never from a request). */
export function webPagePath(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const candidates = [path.join(here, 'web', 'index.html'), path.join(here, '..', '..', '..', 'src', 'server', 'web', 'index.html')]
  return candidates.find((candidate) => existsSync(candidate))
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
}

const refuse = (socket: Socket, status: number, text: string): void => {
  const body = JSON.stringify({error: {message: text}})
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/**
 * The engine over HTTP and WebSocket, on Node's own http server with `ws` (small, well kept, and all
 * a WebSocket endpoint needs; no framework). One model, loaded once, shared by every session through
 * a fair scheduler.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const modelId = options.modelId ?? options.engine.model.name
  const scheduler = new FairScheduler(options.concurrency)
  const policy: AccessPolicy = {token: options.token, allowOrigins: options.allowOrigins}
  const page = webPagePath()
  const sessions = new Set<StreamSession>()
  let nextId = 1
  let closing = false
  const created = Math.floor(Date.now() / 1000)
  const transcriptionContext = {
    engine: options.engine,
    modelId,
    scheduler,
    maxFileBytes: options.maxFileBytes,
    ffmpegPath: options.ffmpegPath,
    log: options.log,
  }

  const server = createServer((req, res) => {
    try {
      route(req, res)
    } catch (error) {
      if (!res.headersSent) json(res, 500, {error: {message: String(error)}})
    }
  })
  const wss = new WebSocketServer({noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false})

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
      if (!page) return json(res, 404, {error: {message: 'the web page is not installed (src/server/web/index.html)'}})
      res.writeHead(200, {'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store'})
      createReadStream(page).pipe(res)
      return
    }
    if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, {status: 'ok', model: modelId, sessions: sessions.size})
    if (url.pathname.startsWith('/v1/')) {
      if (!originAllowed(req, policy)) return json(res, 403, {error: {message: 'origin not allowed', type: 'invalid_request_error'}})
      if (!authorized(req, url, policy)) {
        res.setHeader('www-authenticate', 'Bearer')
        return json(res, 401, {error: {message: 'missing or wrong token', type: 'invalid_request_error', code: 'invalid_api_key'}})
      }
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        return json(res, 200, {object: 'list', data: [{id: modelId, object: 'model', created, owned_by: 'whisper-stream'}]})
      }
      if (req.method === 'POST' && url.pathname === '/v1/audio/transcriptions') {
        if (closing) return json(res, 503, {error: {message: 'server shutting down'}})
        return handleTranscription(req, res, transcriptionContext)
      }
    }
    json(res, 404, {error: {message: `no route for ${req.method} ${url.pathname}`}})
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {})
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== '/v1/stream') return refuse(socket, 404, 'Not Found')
    if (closing) return refuse(socket, 503, 'Service Unavailable')
    if (!originAllowed(req, policy)) return refuse(socket, 403, 'Forbidden')
    if (!authorized(req, url, policy)) return refuse(socket, 401, 'Unauthorized')
    if (sessions.size >= options.maxSessions) return refuse(socket, 503, 'Service Unavailable')
    let query
    try {
      query = optionsFromQuery(url.searchParams)
    } catch (error) {
      return refuse(socket, 400, error instanceof ProtocolError ? 'Bad Request' : 'Bad Request')
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new StreamSession(
        ws,
        {
          id: nextId++,
          remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
          engine: options.engine,
          scheduler,
          limits: options.limits,
          ffmpegPath: options.ffmpegPath,
          log: options.log,
          onClosed: (s) => sessions.delete(s),
        },
        query,
      )
      sessions.add(session)
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`

  return {
    url,
    port: address.port,
    scheduler,
    get sessions() {
      return sessions.size
    },
    async close() {
      if (closing) return
      closing = true
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      await Promise.all([...sessions].map((session) => session.shutdown()))
      for (const client of wss.clients) client.terminate()
      wss.close()
      server.closeAllConnections()
      await stopped
    },
  }
}
