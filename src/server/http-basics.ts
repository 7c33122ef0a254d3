// Small pieces of the HTTP server: where the web page is, raw refusals of upgrades, Node's timeouts, request targets.
import {existsSync} from 'node:fs'
import type {IncomingMessage} from 'node:http'
import type {Socket} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {HttpError} from './http-error.js'

/** The web page's path: resolved once, from this module's own location (never from a request). */
export function webPagePath(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const candidates = [path.join(here, 'web', 'index.html'), path.join(here, '..', '..', '..', 'src', 'server', 'web', 'index.html')]
  return candidates.find((candidate) => existsSync(candidate))
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

export const refuse = (socket: Socket, status: number, message: string): void => {
  if (socket.destroyed) return
  const body = JSON.stringify({error: {message}})
  socket.end(
    `HTTP/1.1 ${status} ${statusText[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

/** Node's own request timeouts, checked often enough that a short timeout holds to about a quarter of itself. */
export function serverTimeouts(requestTimeoutMs: number): {
  requestTimeout: number
  headersTimeout: number
  connectionsCheckingInterval: number
} {
  return {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, Math.round(requestTimeoutMs / 4))),
  }
}

/** The request's path and query; a request target that is not a valid URL path is a 400. */
export function parseTarget(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://localhost')
  } catch {
    throw new HttpError(400, 'malformed request target')
  }
}
