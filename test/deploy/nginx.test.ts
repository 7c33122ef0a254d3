// Issue 11 item 5: the scale-out recipe, run. nginx (Debian's, as .ci/run installs it) with deploy/nginx.conf in
// front of two `serve` processes on loopback: sessions spread over both, and SIGTERM to one backend gives its
// sessions their finals, `done` and close 1001 while new sessions land on the other. Skipped, saying so, where nginx
// is not installed. All addresses are 127.0.0.1; nginx runs from a temp dir with its own pid, logs and temp paths.
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {readPcm, speech} from '../helpers/audio-fixtures.js'
import {ensureBuilt} from '../helpers/cli.js'
import {repoRoot, testModel} from '../helpers/test-models.js'
import {connect, sendPcm, type Client} from '../server/server-helpers.js'
import {startServeChild, type ServeChild} from '../tooling/serve-fuzz/serve-child.js'

const nginxBin = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p))
if (!nginxBin) console.warn('test/deploy/nginx.test.ts skipped: nginx is not installed (apt-get install nginx; .ci/run does)')

/** A port that was free a moment ago (nginx cannot listen on port 0 and tell us which it got). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const {port} = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

/** deploy/nginx.conf with this test's backends and port, inside a main config that keeps everything in `dir`. */
function nginxConfig(dir: string, port: number, backends: string[]): string {
  const site = readFileSync(path.join(repoRoot, 'deploy', 'nginx.conf'), 'utf8')
    .replace(/^\s*server 127\.0\.0\.1:\d+ (.*);$/gm, '')
    .replace('least_conn;', `least_conn;\n${backends.map((b) => `    server ${b} max_fails=3 fail_timeout=10s;`).join('\n')}`)
    .replace(/listen 8000;/, `listen 127.0.0.1:${port};`)
  const temp = (name: string): string => path.join(dir, name)
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(temp(name), {recursive: true, mode: 0o777})
  return `
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${temp('nginx.pid')};
error_log ${temp('error.log')} warn;
events { worker_connections 256; }
http {
  access_log ${temp('access.log')};
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
${site}
}
`
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return Number(line?.split(' ')[1] ?? Number.NaN)
}

let dir = ''
let nginx: ChildProcess | undefined
let nginxExited: Promise<void> = Promise.resolve()
let front = ''
const backends: ServeChild[] = []
let pcm: Float32Array

beforeAll(async () => {
  if (!nginxBin) return
  await ensureBuilt()
  const model = await testModel('mini')
  pcm = await readPcm(await speech('scale out with a load balancer in front of two servers.'))
  backends.push(...(await Promise.all([startServeChild(model), startServeChild(model)])))
  dir = mkdtempSync(path.join(tmpdir(), 'nginx-test-'))
  const port = await freePort()
  const conf = path.join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    nginxConfig(
      dir,
      port,
      backends.map((b) => new URL(b.url).host),
    ),
  )
  nginx = spawn(nginxBin, ['-p', dir, '-c', conf, '-g', 'daemon off;'], {stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  nginx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  nginxExited = new Promise((resolve) => nginx!.once('exit', () => resolve()))
  front = `http://127.0.0.1:${port}`
  // Up once it answers /health through to a backend (bounded).
  for (let i = 0; ; i++) {
    const ok = await fetch(`${front}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (i > 100 || nginx.exitCode !== null) throw new Error(`nginx did not come up: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
})

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    nginx.kill('SIGTERM')
    await nginxExited
  }
  await Promise.all(backends.map((b) => b.stop()))
  if (dir) rmSync(dir, {recursive: true, force: true})
})

describe.skipIf(!nginxBin)('nginx in front of two serve processes (deploy/nginx.conf)', () => {
  it('spreads 8 sessions over both; SIGTERM to one gives its sessions finals, done and 1001, and new ones land on the other', async () => {
    const wsFront = `${front.replace('http', 'ws')}/v1/stream`
    const clients: Client[] = []
    for (let i = 0; i < 8; i++) {
      const client = connect(wsFront)
      await client.opened
      client.ws.send(JSON.stringify({type: 'start'}))
      await client.waitFor('ready')
      clients.push(client)
    }
    const [a, b] = backends
    const openA = await metric(a.url, 'whisper_stream_sessions_open')
    const openB = await metric(b.url, 'whisper_stream_sessions_open')
    console.log(`nginx spread 8 sessions: ${openA} on A, ${openB} on B`)
    expect(openA + openB).toBe(8)
    expect(openA).toBeGreaterThan(0)
    expect(openB).toBeGreaterThan(0)
    await Promise.all(clients.map((c) => sendPcm(c.ws, pcm)))

    // SIGTERM to A: exactly its sessions close, each with finals, done and 1001.
    const closedByA: Client[] = []
    let onAll = (): void => {}
    const allClosed = new Promise<void>((resolve) => (onAll = resolve))
    for (const c of clients) {
      c.closed.then(
        () => {
          closedByA.push(c)
          if (closedByA.length === openA) onAll()
        },
        () => undefined,
      )
    }
    // (Its sessions commit their backlog first; on a loaded machine that takes a while.)
    expect(await a.stop(120_000)).toBe(0)
    await allClosed
    for (const c of closedByA) {
      const {messages, closeCode} = await c.closed
      expect(closeCode).toBe(1001)
      expect(messages.at(-1)?.type).toBe('done')
      expect(messages.some((m) => m.type === 'final')).toBe(true)
    }

    // New sessions through nginx all land on B.
    const before = await metric(b.url, 'whisper_stream_sessions_total')
    const fresh: Client[] = []
    for (let i = 0; i < 4; i++) {
      const client = connect(wsFront)
      await client.opened
      client.ws.send(JSON.stringify({type: 'start'}))
      await client.waitFor('ready')
      fresh.push(client)
    }
    expect(await metric(b.url, 'whisper_stream_sessions_total')).toBe(before + 4)
    const stillOpen = [...clients.filter((c) => !closedByA.includes(c)), ...fresh]
    expect(stillOpen).toHaveLength(8 - openA + 4)
    for (const c of stillOpen) c.ws.send(JSON.stringify({type: 'end'}))
    for (const c of stillOpen) expect((await c.closed).closeCode).toBe(1000)
  }, 300_000)
})
