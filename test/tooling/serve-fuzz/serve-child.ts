// `whisper-stream serve` in its own process, as the fuzzers and soak harnesses drive it, and what can be read of it
// from outside (/health, /proc).
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {rename, rm} from 'node:fs/promises'
import path from 'node:path'
import {findRepoRoot} from '../../../bench/paths.js'
import {generateModel, GENERATOR_VERSION} from '../../../models/generator/index.js'
import {sleep} from './wait.js'

export interface ServeChild {
  pid: number
  /** http://127.0.0.1:PORT */
  url: string
  /** The last stderr lines (at most 2000). */
  lines: string[]
  /** Sessions the server logged as closed, by close code. */
  closes: Map<number, number>
  /** Exit code once it has exited (null: killed by a signal); undefined while it runs. */
  exit: number | null | undefined
  exited: Promise<number | null>
  /** SIGTERM (the documented shutdown), SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>
}

/** Starts `node bin/run.js serve --model DIR --port 0 …` and waits for `listening on http://…` (bounded). */
export async function startServeChild(
  modelDir: string,
  extraArgs: string[] = [],
  timeoutMs = 90_000,
  env: Record<string, string> = {},
): Promise<ServeChild> {
  const root = findRepoRoot()
  if (!existsSync(path.join(root, 'dist', 'src', 'commands', 'serve.js'))) throw new Error('dist/ is missing: run `npm run build` first')
  const child = spawn(
    process.execPath,
    [path.join(root, 'bin', 'run.js'), 'serve', '--model', modelDir, '--host', '127.0.0.1', '--port', '0', ...extraArgs],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {...process.env, WHISPER_STREAM_DEBUG: '', NO_COLOR: '1', HF_HUB_OFFLINE: '1', ...env},
    },
  )
  const lines: string[] = []
  const closes = new Map<number, number>()
  let partial = ''
  let listening: ((url: string) => void) | undefined
  child.stderr!.on('data', (data: Buffer) => {
    partial += data.toString()
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const line of parts) {
      lines.push(line)
      if (lines.length > 2000) lines.shift()
      const closed = /^session \d+ .* closed (\d+)/.exec(line)
      if (closed) closes.set(Number(closed[1]), (closes.get(Number(closed[1])) ?? 0) + 1)
      const match = /listening on (http:\/\/\S+)/.exec(line)
      if (match) listening?.(match[1])
    }
  })
  const server: ServeChild = {
    pid: child.pid!,
    url: '',
    lines,
    closes,
    exit: undefined,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async stop(graceMs = 20_000) {
      if (server.exit !== undefined) return server.exit
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await server.exited
      clearTimeout(timer)
      return code
    },
  }
  server.exited.then((code) => (server.exit = code)).catch(() => undefined) // exited never rejects
  server.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`serve did not start within ${timeoutMs} ms: ${lines.join('\n')}`))
    }, timeoutMs)
    listening = (url) => {
      clearTimeout(timer)
      resolve(url)
    }
    server.exited
      .then((code) => {
        clearTimeout(timer)
        reject(new Error(`serve exited with ${code}: ${lines.join('\n')}${partial}`))
      })
      .catch(reject)
  })
  return server
}

/** Resident memory of a process, MiB (0 when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    return Math.round((kb / 1024) * 10) / 10
  } catch {
    return 0
  }
}

/** Direct child processes (per-session ffmpeg decoders) of `pid`, from /proc; [] where /proc is missing. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number),
    )
  } catch {
    return []
  }
}

export async function health(url: string): Promise<{status: string; sessions: number}> {
  const res = await fetch(`${url}/health`, {signal: AbortSignal.timeout(5000)})
  return (await res.json()) as {status: string; sessions: number}
}

/** Polls /health until at most `sessions` are open (bounded); returns the last count seen. */
export async function waitForSessions(url: string, sessions: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  let seen = Number.NaN
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    seen = (await health(url).catch(() => ({sessions: Number.NaN}))).sessions
    if (seen <= sessions) return seen
    await sleep(100)
  }
  return seen
}

/** The generated `mini` model the tests use (<repo>/.cache/test-models/mini-vN), generated once if missing. */
export async function miniModelDir(): Promise<string> {
  const dir = path.join(findRepoRoot(), '.cache', 'test-models', `mini-v${GENERATOR_VERSION}`)
  if (existsSync(dir)) return dir
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
  try {
    await generateModel({preset: 'mini', seed: 1, out: tmp})
    await rename(tmp, dir)
  } catch (error) {
    if (!existsSync(dir)) throw error
  } finally {
    await rm(tmp, {recursive: true, force: true})
  }
  return dir
}
