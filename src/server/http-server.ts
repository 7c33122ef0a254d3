import {createReadStream} from 'node:fs'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo, Socket} from 'node:net'
import {WebSocketServer} from 'ws'
import {authorized, originAllowed, type AccessPolicy} from './auth.js'
import {parseTarget, refuse, serverTimeouts, webPagePath} from './http-basics.js'
import {HttpError, internalError, sendError, sendJson} from './http-error.js'
import {ServerMetrics, type RefusalReason} from './metrics.js'
import {optionsFromQuery, ProtocolError} from './protocol.js'
import {FairScheduler} from './scheduler.js'
import type {ServeOptions} from './serve-options.js'
import {StreamSession} from './stream-session.js'
import {handleTranscription} from './transcriptions-endpoint.js'

export {defaultServeOptions, type ServeDecoding, type ServeOptions} from './serve-options.js'

export interface RunningServer {
  url: string
  port: number
  readonly sessions: number
  readonly scheduler: FairScheduler
  readonly metrics: ServerMetrics
  /** Stops accepting, flushes every session's finals, closes them with 1001. */
  close(): Promise<void>
}

const json = sendJson

/**
 * The engine over HTTP and WebSocket, on Node's own http server with `ws` (small, well kept, and all
 * a WebSocket endpoint needs; no framework). One model, loaded once, shared by every session through
 * a fair scheduler.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const modelId = options.modelId ?? options.engine.model.name
  const scheduler = new FairScheduler(options.concurrency)
  const sessions = new Set<StreamSession>()
  const metrics = new ServerMetrics(
    () => sessions.size,
    () => options.engine.model.encoderBatches,
  )
  scheduler.onRun = (waitMs, busyMs) => metrics.inference(waitMs, busyMs)
  const policy: AccessPolicy = {token: options.token, allowOrigins: options.allowOrigins}
  const page = webPagePath()
  let nextId = 1
  let closing = false
  const created = Math.floor(Date.now() / 1000)
  const transcriptionContext = {
    engine: options.engine,
    modelId,
    scheduler,
    maxFileBytes: options.maxFileBytes,
    ffmpegPath: options.ffmpegPath,
    decoding: options.decoding?.file,
    log: options.log,
    metrics,
  }

  const server = createServer(serverTimeouts(options.requestTimeoutMs), (req, res) => {
    res.once('finish', () => metrics.request(routeLabel(req), res.statusCode))
    try {
      route(req, res)
    } catch (error) {
      sendError(req, res, error instanceof HttpError ? error : internalError(error, `${req.method} ${req.url?.slice(0, 200)}`, options.log))
    }
  })
  const wss = new WebSocketServer({noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false})

  type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void
  const sendPage: Handler = (_req, res) => {
    if (!page) return json(res, 404, {error: {message: 'the web page is not installed (src/server/web/index.html)'}})
    res.writeHead(200, {'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'cache-control': 'no-store'})
    createReadStream(page)
      .on('error', (error) => {
        options.log(`web page: ${error.message}`)
        res.destroy()
      })
      .pipe(res)
  }
  /** Path → method → handler; `guarded` routes need the token (and an allowed Origin). */
  const routes = new Map<string, {guarded: boolean; methods: Record<string, Handler>}>([
    ['/', {guarded: false, methods: {GET: sendPage}}],
    ['/index.html', {guarded: false, methods: {GET: sendPage}}],
    ['/health', {guarded: false, methods: {GET: (_req, res) => json(res, 200, {status: 'ok', model: modelId, sessions: sessions.size})}}],
    [
      '/v1/models',
      {
        guarded: true,
        methods: {
          GET: (_req, res) => json(res, 200, {object: 'list', data: [{id: modelId, object: 'model', created, owned_by: 'whisper-stream'}]}),
        },
      },
    ],
    [
      '/v1/audio/transcriptions',
      {
        guarded: true,
        methods: {
          POST: (req, res) => {
            if (closing) return sendError(req, res, new HttpError(503, 'server shutting down'))
            handleTranscription(req, res, transcriptionContext)
          },
        },
      },
    ],
    [
      '/metrics',
      {
        guarded: true,
        methods: {
          GET: (req, res) => {
            metrics.registry.metrics().then(
              (body) => res.writeHead(200, {'content-type': metrics.registry.contentType}).end(body),
              (error: unknown) => sendError(req, res, internalError(error, 'metrics', options.log)),
            )
          },
        },
      },
    ],
    [
      '/v1/stream',
      {
        guarded: true,
        methods: {
          GET: (_req, res) => json(res, 426, {error: {message: 'ws /v1/stream needs a WebSocket upgrade'}}, {upgrade: 'websocket'}),
        },
      },
    ],
  ])

  /** The `route` label of a request: a known path, else `other` (never the raw path, which a client chooses). */
  const routeLabel = (req: IncomingMessage): string => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    return routes.has(path) ? path : 'other'
  }

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const url = parseTarget(req)
    const entry = routes.get(url.pathname)
    const guarded = entry?.guarded ?? url.pathname.startsWith('/v1/')
    const origin = req.headers.origin
    if (guarded && !originAllowed(req, policy))
      return json(res, 403, {error: {message: 'origin not allowed', type: 'invalid_request_error'}})
    if (guarded && origin !== undefined) res.setHeader('access-control-allow-origin', origin).setHeader('vary', 'Origin')
    if (req.method === 'OPTIONS' && entry) {
      // CORS preflight (browsers send it without credentials, so no token here), or a plain OPTIONS: what the path allows.
      const allow = [...Object.keys(entry.methods), 'OPTIONS'].join(', ')
      const preflight = origin !== undefined && req.headers['access-control-request-method'] !== undefined
      const cors = preflight
        ? {
            'access-control-allow-methods': allow,
            'access-control-allow-headers': 'authorization, content-type',
            'access-control-max-age': '600',
          }
        : {}
      res.writeHead(204, {allow, ...cors}).end()
      return
    }
    if (guarded && !authorized(req, url, policy)) {
      res.setHeader('www-authenticate', 'Bearer')
      return json(res, 401, {error: {message: 'missing or wrong token', type: 'invalid_request_error', code: 'invalid_api_key'}})
    }
    if (!entry) return json(res, 404, {error: {message: `no route for ${url.pathname.slice(0, 200)}`, type: 'invalid_request_error'}})
    const handler = entry.methods[req.method ?? '']
    if (!handler) {
      const allow = [...Object.keys(entry.methods), 'OPTIONS'].join(', ')
      return json(
        res,
        405,
        {error: {message: `${url.pathname} takes ${allow}, not ${String(req.method).slice(0, 20)}`, type: 'invalid_request_error'}},
        {allow},
      )
    }
    handler(req, res, url)
  }

  /** Upgrades accepted but not yet complete: they count against --max-sessions, so a burst cannot pass it. */
  let reserved = 0

  const refuseSession = (req: IncomingMessage, socket: Socket, status: number, message: string, reason: RefusalReason): void => {
    metrics.request(routeLabel(req), status)
    metrics.refusals.inc({reason})
    refuse(socket, status, message)
  }

  const upgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    const url = parseTarget(req)
    if (url.pathname !== '/v1/stream') return refuseSession(req, socket, 404, `no route for ${url.pathname.slice(0, 200)}`, 'not-found')
    if (closing) return refuseSession(req, socket, 503, 'server shutting down', 'shutting-down')
    if (!originAllowed(req, policy)) return refuseSession(req, socket, 403, 'origin not allowed', 'origin')
    if (!authorized(req, url, policy)) return refuseSession(req, socket, 401, 'missing or wrong token', 'unauthorized')
    if (sessions.size + reserved >= options.maxSessions) {
      return refuseSession(req, socket, 503, `${options.maxSessions} sessions open (--max-sessions)`, 'max-sessions')
    }
    const query = optionsFromQuery(url.searchParams)
    // Released once: when the session exists, or when the handshake fails (ws answers it and the socket closes).
    reserved++
    let held = true
    const release = (): void => {
      if (held) reserved--
      held = false
    }
    socket.once('close', release)
    wss.handleUpgrade(req, socket, head, (ws) => {
      release()
      socket.off('close', release)
      if (closing) return void ws.close(1001, 'server shutting down')
      let session: StreamSession
      try {
        session = new StreamSession(
          ws,
          {
            id: nextId++,
            remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`,
            engine: options.engine,
            scheduler,
            limits: options.limits,
            ffmpegPath: options.ffmpegPath,
            decoding: options.decoding?.live,
            log: options.log,
            metrics,
            onClosed: (s) => sessions.delete(s),
          },
          query,
        )
      } catch (error) {
        internalError(error, 'session start', options.log)
        return void ws.terminate()
      }
      sessions.add(session)
      metrics.sessionsTotal.inc()
      metrics.request('/v1/stream', 101)
    })
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {})
    try {
      upgrade(req, socket, head)
    } catch (error) {
      if (error instanceof HttpError || error instanceof ProtocolError) refuseSession(req, socket, 400, error.message, 'bad-request')
      else {
        internalError(error, `upgrade ${req.url?.slice(0, 200)}`, options.log)
        refuse(socket, 500, 'internal server error')
      }
    }
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
    metrics,
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
