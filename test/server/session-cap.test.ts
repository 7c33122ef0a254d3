import {connect as tcpConnect} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {RunningServer} from '../../src/server/http-server.js'
import {connect, serve, streamUrl, type Client} from './server-helpers.js'

let server: RunningServer

beforeAll(async () => {
  server = await serve({maxSessions: 8})
})
afterAll(async () => server?.close())

/** An upgrade request that ws refuses after the cap check (no Sec-WebSocket-Key): the server answers and closes. */
function badHandshake(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(server.port, '127.0.0.1')
    let answer = ''
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => resolve(answer))
    socket.write('GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n')
  })
}

describe('--max-sessions under a burst', () => {
  it('100 simultaneous upgrades against --max-sessions 8: exactly 8 open, 92 refused with 503', async () => {
    const clients = Array.from({length: 100}, () => connect(streamUrl(server)))
    const outcomes = await Promise.all(
      clients.map((c) =>
        c.opened.then(
          () => 101,
          (error: {status?: number}) => error.status ?? 0,
        ),
      ),
    )
    const opened = outcomes.filter((s) => s === 101).length
    const refused = outcomes.filter((s) => s === 503).length
    expect({opened, refused, other: 100 - opened - refused}).toEqual({opened: 8, refused: 92, other: 0})
    expect(server.sessions).toBe(8)
    const open: Client[] = clients.filter((_, i) => outcomes[i] === 101)
    for (const c of open) c.ws.close()
    await Promise.all(open.map((c) => c.closed))
    // The server learns of each close in its own time: wait for its count, not a fixed delay.
    while (server.sessions > 0) await new Promise((resolve) => setImmediate(resolve))
  })

  it('handshakes that fail after the cap check give their place back', async () => {
    const answers = await Promise.all(Array.from({length: 20}, () => badHandshake()))
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1.1 400/)
    const clients = Array.from({length: 8}, () => connect(streamUrl(server)))
    await Promise.all(clients.map((c) => c.opened))
    expect(server.sessions).toBe(8)
    for (const c of clients) c.ws.close()
    await Promise.all(clients.map((c) => c.closed))
  })
})
