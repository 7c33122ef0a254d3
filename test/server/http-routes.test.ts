import {connect as tcpConnect} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {RunningServer} from '../../src/server/http-server.js'
import {serve} from './server-helpers.js'

let server: RunningServer
const logs: string[] = []

beforeAll(async () => {
  server = await serve({requestTimeoutMs: 1000, allowOrigins: ['http://app.example']}, logs)
})
afterAll(async () => server?.close())

/** Writes raw bytes and resolves with everything the server sends until it closes the connection. */
function raw(request: string | Buffer, {keepOpen = false} = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(server.port, '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => resolve(answer))
    socket.write(request)
    if (!keepOpen) socket.end()
  })
}

describe('HTTP routes', () => {
  it('a known path with another method is 405 naming the allowed ones; unknown paths are 404', async () => {
    const put = await fetch(`${server.url}/health`, {method: 'PUT'})
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, OPTIONS')
    const del = await fetch(`${server.url}/v1/audio/transcriptions`, {method: 'DELETE'})
    expect(del.status).toBe(405)
    expect(del.headers.get('allow')).toBe('POST, OPTIONS')
    expect((await fetch(`${server.url}/nope`)).status).toBe(404)
    expect((await fetch(`${server.url}/v1/stream`)).status).toBe(426)
  })

  it('OPTIONS answers what the path allows; a CORS preflight from an allowed origin gets the CORS headers, a foreign one 403', async () => {
    const plain = await fetch(`${server.url}/v1/models`, {method: 'OPTIONS'})
    expect(plain.status).toBe(204)
    expect(plain.headers.get('allow')).toBe('GET, OPTIONS')
    const preflight = await fetch(`${server.url}/v1/audio/transcriptions`, {
      method: 'OPTIONS',
      headers: {origin: 'http://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization'},
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example')
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/)
    const foreign = await fetch(`${server.url}/v1/audio/transcriptions`, {
      method: 'OPTIONS',
      headers: {origin: 'http://evil.example', 'access-control-request-method': 'POST'},
    })
    expect(foreign.status).toBe(403)
  })

  it('path tricks and malformed targets never reach a file: 404 or 400', async () => {
    expect(await raw('GET /v1/../health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 200/) // URL normalisation: it is /health
    expect(await raw('GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 404/)
    expect(await raw('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1.1 400/)
    expect(await raw(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/)
  })

  it('an upgrade to a malformed target is refused with 400, and the server goes on', async () => {
    const answer = await raw(
      'GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      {keepOpen: true},
    )
    expect(answer).toMatch(/^HTTP\/1.1 400/)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('a body that arrives too slowly gets 408 after the request timeout', async () => {
    const answer = await raw(
      'POST /v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000\r\n\r\n--b',
      {keepOpen: true},
    )
    expect(answer).toMatch(/^HTTP\/1.1 408/)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })
})
