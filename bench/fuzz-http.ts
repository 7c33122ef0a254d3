// Long-run HTTP fuzz harness for `whisper-stream serve` (issue 11): seeded misbehaving HTTP clients (the cases in
// test/tooling/serve-fuzz/http-cases.ts) against a server in its own process, while a well-behaved witness WebSocket
// session streams speech and must come through intact. Every case must get its documented status, and /health must
// answer after every case.
//   node --import tsx bench/fuzz-http.ts [--cases 1000] [--seed 1] [--clients 3] [--model DIR]
//   node --import tsx bench/fuzz-http.ts --case bad-field:12345     (replays one case)
// Prints the cases by kind and outcome, the statuses, the witness and the server's RSS before and after; exits 1 if
// the server died, a witness failed, a case got an undocumented answer or a spooled upload was left behind. It needs
// dist/ (npm run build) and uses the trained-mini model by default. All traffic goes to 127.0.0.1.
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {
  HTTP_CASE_KINDS,
  runHttpCase,
  summarizeHttp,
  type HttpCaseKind,
  type HttpCaseResult,
  type HttpTarget,
} from '../test/tooling/serve-fuzz/http-cases.js'
import {percentile} from '../test/tooling/serve-fuzz/report.js'
import {mulberry32, type Rng} from '../test/tooling/serve-fuzz/rng.js'
import {health, rssMiB, startServeChild} from '../test/tooling/serve-fuzz/serve-child.js'
import {Witness} from '../test/tooling/serve-fuzz/witness.js'
import {testModel} from '../test/helpers/test-models.js'

/** How often each kind comes up: valid uploads (real transcriptions) rarely, cheap malformed requests often. */
const WEIGHTS: Record<HttpCaseKind, number> = {
  'form-order': 0.5,
  'bad-field': 6,
  'file-missing': 3,
  'multipart-broken': 5,
  'content-type': 3,
  chunked: 3,
  oversized: 2,
  'huge-headers': 2,
  'slow-body': 1,
  'method-path': 10,
  'concurrent-uploads': 0.1,
  'drop-mid-upload': 4,
}

function weightedKind(rng: Rng): HttpCaseKind {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0)
  let r = rng() * total
  for (const kind of HTTP_CASE_KINDS) {
    r -= WEIGHTS[kind]
    if (r < 0) return kind
  }
  return 'method-path'
}

async function main(): Promise<number> {
  const {values} = parseArgs({
    options: {
      cases: {type: 'string', default: '1000'},
      seed: {type: 'string', default: '1'},
      clients: {type: 'string', default: '3'},
      model: {type: 'string'},
      case: {type: 'string'},
    },
  })
  const out = (line: string): void => void process.stdout.write(`${line}\n`)
  const modelDir = values.model ?? (await testModel('trained-mini'))
  const spool = mkdtempSync(path.join(tmpdir(), 'fuzz-http-'))
  const server = await startServeChild(modelDir, ['--max-file-mb', '1', '--request-timeout', '2'], 90_000, {TMPDIR: spool})
  const {baseClip} = await import('./audio.js')
  const clip = await baseClip()
  const target: HttpTarget = {url: server.url, maxFileBytes: 1 << 20, requestTimeoutMs: 2000, caseTimeoutMs: 90_000, speech: clip.pcm}
  try {
    if (values.case) {
      const [kind, caseSeed] = values.case.split(':')
      if (!(HTTP_CASE_KINDS as readonly string[]).includes(kind))
        throw new Error(`--case KIND:SEED, KIND one of ${HTTP_CASE_KINDS.join(', ')}`)
      const result = await runHttpCase(kind as HttpCaseKind, Number(caseSeed), target)
      out(JSON.stringify(result, null, 2))
      return result.ok ? 0 : 1
    }
    const total = Number(values.cases)
    const seed = Number(values.seed)
    const clients = Number(values.clients)
    out(`fuzz-http: seed ${seed}, ${total} cases, ${clients} clients, model ${modelDir}, server pid ${server.pid} at ${server.url}`)
    const witness = new Witness(server.url.replace('http', 'ws'), clip.pcm)
    await witness.start()
    await witness.firstFinal(60_000)
    const rssStart = rssMiB(server.pid)
    let rssPeak = rssStart
    const results: HttpCaseResult[] = []
    const started = Date.now()
    let next = 0
    const runners = Array.from({length: clients}, async (_, i) => {
      const rng = mulberry32(seed * 7919 + i)
      while (next < total && server.exit === undefined) {
        next++
        results.push(await runHttpCase(weightedKind(rng), Math.floor(rng() * 2 ** 31), target))
        rssPeak = Math.max(rssPeak, rssMiB(server.pid))
        if (results.length % 100 === 0)
          out(`  ${results.length} cases, ${results.filter((r) => !r.ok).length} unexpected, RSS ${rssMiB(server.pid)} MiB`)
      }
    })
    await Promise.all(runners)
    const seconds = (Date.now() - started) / 1000
    const w = await witness.stop(60_000)
    const open = (await health(server.url).catch(() => ({sessions: Number.NaN}))).sessions
    const rssEnd = rssMiB(server.pid)
    // Requests whose client left finish their cleanup on their own time: wait (bounded) for the spool to empty.
    const uploads = (): string[] => readdirSync(spool).filter((name) => name.startsWith('whisper-stream-upload-'))
    for (let i = 0; i < 150 && uploads().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
    const left = uploads()
    const unexpectedLines = server.lines.filter((line) => /unexpected error|Unhandled|uncaught/i.test(line))
    const statuses = new Map<string, number>()
    for (const r of results) {
      const status = /^http:(\d+)/.exec(r.outcome)?.[1] ?? r.outcome
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
    const died = server.exit !== undefined
    out('')
    out(`${results.length} cases in ${seconds.toFixed(0)} s (seed ${seed}; replay one with --case KIND:SEED):`)
    for (const line of summarizeHttp(results)) out(`  ${line}`)
    out(
      `statuses: ${[...statuses]
        .sort()
        .map(([s, n]) => `${s} ×${n}`)
        .join(', ')}`,
    )
    out(`/health answered after every case: ${results.every((r) => !r.outcome.startsWith('health:')) ? 'yes' : 'NO'}`)
    out(
      `witness: ${w.ok ? 'ok' : 'FAILED'}, ${w.audioSeconds.toFixed(0)} s audio, ${w.finals} finals (${w.finalsBeforeEnd} during the fuzz), close ${w.closeCode}, latency p50 ${percentile(w.latencies, 50).toFixed(0)} ms, p95 ${percentile(w.latencies, 95).toFixed(0)} ms${w.ok ? '' : `: ${w.problems.join('; ')}`}`,
    )
    out(
      `server RSS: ${rssStart} MiB after warm-up, peak ${rssPeak} MiB, ${rssEnd} MiB at the end; sessions open ${open}; spooled uploads left ${left.length}; unexpected errors logged ${unexpectedLines.length}; ${died ? `DIED (exit ${server.exit})` : 'alive'}`,
    )
    const failed = died || results.some((r) => !r.ok) || !w.ok || left.length > 0 || unexpectedLines.length > 0
    out(failed ? 'FAILED' : 'ok')
    return failed ? 1 : 0
  } finally {
    const code = await server.stop()
    if (code !== 0) out(`serve exited with ${code} after SIGTERM`)
    rmSync(spool, {recursive: true, force: true})
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`fuzz-http: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exit(2)
    },
  )
}
