// Fuzz harness for `whisper-stream serve` (issue 8): seeded misbehaving WebSocket clients against a server in
// its own process, while well-behaved "witness" sessions stream speech and must come through intact. Each case
// knows the outcome docs/protocol.md documents for it (an `error` code and close code, a close by `ws`, an HTTP
// refusal, or a normal `done`/1000), and any other outcome counts as unexpected.
//
// The clients, the oracle and the witness live in test/tooling/serve-fuzz/ (test/reliability/server-fuzz.test.ts
// runs a bounded set of these cases in `npm test`); this file is the long-run harness:
//   node --import tsx bench/fuzz-serve.ts [--seconds 120] [--seed 1] [--sessions 4] [--witnesses 1] [--model DIR]
//   node --import tsx bench/fuzz-serve.ts --case random-frame:12345     (replays one case)
// It prints the server's RSS every 10 s and the cases by kind and outcome, and exits 1 if the server died, a
// witness failed, a case ended in an undocumented outcome, or sessions did not go back to 0. It needs dist/
// (npm run build). All traffic goes to 127.0.0.1; every loop is bounded in count and time.
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {CASE_KINDS, type CaseKind, type CaseResult, type FuzzTarget} from '../test/tooling/serve-fuzz/oracle.js'
import {percentile, summarize} from '../test/tooling/serve-fuzz/report.js'
import {mulberry32, type Rng} from '../test/tooling/serve-fuzz/rng.js'
import {childPids, health, miniModelDir, rssMiB, startServeChild, waitForSessions} from '../test/tooling/serve-fuzz/serve-child.js'
import {sleep} from '../test/tooling/serve-fuzz/wait.js'
import {Witness} from '../test/tooling/serve-fuzz/witness.js'
import {runCase} from '../test/tooling/serve-fuzz/ws-cases.js'

/** How often each kind comes up in the long run (connect-drop and random frames the most). */
const WEIGHTS: Record<CaseKind, number> = {
  'binary-before-start': 3,
  'binary-after-start': 4,
  'text-garbage': 3,
  'json-not-object': 1,
  'unknown-type': 2,
  'bad-option': 3,
  'start-late': 1,
  'http-refusal': 1,
  'invalid-utf8': 1,
  oversized: 2,
  'random-frame': 6,
  'tiny-flood': 1,
  'message-flood': 1,
  'flush-cycles': 1,
  stall: 1,
  'connect-drop': 6,
  'not-reading': 1,
}

function weightedKind(rng: Rng): CaseKind {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0)
  let r = rng() * total
  for (const kind of CASE_KINDS) {
    r -= WEIGHTS[kind]
    if (r < 0) return kind
  }
  return 'connect-drop'
}

async function main(): Promise<number> {
  const {values} = parseArgs({
    options: {
      seconds: {type: 'string', default: '120'},
      seed: {type: 'string', default: '1'},
      sessions: {type: 'string', default: '4'},
      witnesses: {type: 'string', default: '1'},
      model: {type: 'string'},
      case: {type: 'string'},
      'max-frame-bytes': {type: 'string', default: '65536'},
      'idle-timeout': {type: 'string', default: '4'},
    },
  })
  const seconds = Number(values.seconds)
  const seed = Number(values.seed)
  const sessions = Number(values.sessions)
  const witnessCount = Number(values.witnesses)
  const out = (line: string): void => void process.stdout.write(`${line}\n`)
  const modelDir = values.model ?? (await miniModelDir())
  const target: FuzzTarget = {
    url: '',
    maxFrameBytes: Number(values['max-frame-bytes']),
    idleTimeoutMs: Number(values['idle-timeout']) * 1000,
    caseTimeoutMs: 30_000,
  }
  const server = await startServeChild(modelDir, [
    '--max-sessions',
    String(sessions * 2 + witnessCount + 8),
    '--max-frame-bytes',
    String(target.maxFrameBytes),
    '--idle-timeout',
    values['idle-timeout'],
    // Robustness, not transcript quality: greedy, so random weights don't decode every window six times.
    '--temperature',
    '0',
  ])
  target.url = server.url
  try {
    if (values.case) {
      const [kind, caseSeed] = values.case.split(':')
      if (!(CASE_KINDS as readonly string[]).includes(kind)) throw new Error(`--case KIND:SEED, KIND one of ${CASE_KINDS.join(', ')}`)
      const result = await runCase(kind as CaseKind, Number(caseSeed), target)
      out(JSON.stringify(result, null, 2))
      return result.ok ? 0 : 1
    }
    const {baseClip} = await import('./audio.js')
    const clip = await baseClip()
    out(
      `fuzz-serve: seed ${seed}, ${seconds} s, ${sessions} fuzz clients, ${witnessCount} witness(es), model ${modelDir}, server pid ${server.pid} at ${server.url}`,
    )
    out(`witness audio: ${clip.description}`)
    const witnesses = Array.from({length: witnessCount}, () => new Witness(server.url.replace('http', 'ws'), clip.pcm))
    await Promise.all(witnesses.map((w) => w.start()))
    await sleep(2000)
    const rssStart = rssMiB(server.pid)
    let rssPeak = rssStart
    const results: CaseResult[] = []
    const started = Date.now()
    const deadline = started + seconds * 1000
    out(`     t   RSS MiB  sessions   cases  unexpected  witness finals (p50 / p95 latency ms)`)
    const report = async (): Promise<void> => {
      const rss = rssMiB(server.pid)
      rssPeak = Math.max(rssPeak, rss)
      const open = (await health(server.url).catch(() => ({sessions: Number.NaN}))).sessions
      const lat = witnesses.flatMap((w) => w.takeLatencies())
      const finals = witnesses.reduce((n, w) => n + w.messages.filter((m) => m.type === 'final').length, 0)
      out(
        `${String(Math.round((Date.now() - started) / 1000)).padStart(6)}  ${rss.toFixed(1).padStart(8)}  ${String(open).padStart(8)}  ${String(results.length).padStart(6)}  ${String(results.filter((r) => !r.ok).length).padStart(10)}  ${String(finals).padStart(7)} (${percentile(lat, 50).toFixed(0)} / ${percentile(lat, 95).toFixed(0)})`,
      )
    }
    const ticker = setInterval(() => {
      report().catch((error: unknown) => out(`report failed: ${String(error)}`))
    }, 10_000)
    const clients = Array.from({length: sessions}, async (_, i) => {
      const rng = mulberry32(seed * 7919 + i)
      for (let n = 0; n < 1_000_000 && Date.now() < deadline && server.exit === undefined; n++) {
        results.push(await runCase(weightedKind(rng), Math.floor(rng() * 2 ** 31), target))
      }
    })
    await Promise.all(clients)
    clearInterval(ticker)
    await report()
    const witnessResults = await Promise.all(witnesses.map((w) => w.stop()))
    const left = await waitForSessions(server.url, 0, 30_000)
    await sleep(1000)
    const rssEnd = rssMiB(server.pid)
    const children = childPids(server.pid)
    const died = server.exit !== undefined
    out('')
    out(`cases by kind and outcome (seed ${seed}; replay one with --case KIND:SEED):`)
    for (const line of summarize(results)) out(`  ${line}`)
    out('')
    out(
      `server log, sessions by close code: ${[...server.closes]
        .sort((a, b) => a[0] - b[0])
        .map(([c, n]) => `${c} ×${n}`)
        .join(', ')}`,
    )
    for (const [i, w] of witnessResults.entries()) {
      out(
        `witness ${i + 1}: ${w.ok ? 'ok' : 'FAILED'}, ${w.audioSeconds.toFixed(0)} s audio, ${w.finals} finals (${w.finalsBeforeEnd} during the fuzz), close ${w.closeCode}, latency p50 ${percentile(w.latencies, 50).toFixed(0)} ms, p95 ${percentile(w.latencies, 95).toFixed(0)} ms${w.ok ? '' : `: ${w.problems.join('; ')}`}`,
      )
    }
    out(
      `server RSS: ${rssStart} MiB after warm-up, peak ${rssPeak} MiB, ${rssEnd} MiB at the end; sessions left ${left}; child processes left ${children.length}; ${died ? `DIED (exit ${server.exit})` : 'alive'}`,
    )
    const unexpected = results.filter((r) => !r.ok).length
    const failed = died || unexpected > 0 || witnessResults.some((w) => !w.ok) || left !== 0
    out(failed ? 'FAILED' : 'ok')
    return failed ? 1 : 0
  } finally {
    const code = await server.stop()
    if (code !== 0) out(`serve exited with ${code} after SIGTERM`)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`fuzz-serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exit(2)
    },
  )
}
