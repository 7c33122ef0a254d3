// Soak harness for `whisper-stream serve` (issue 8): K sessions stream espeak-ng speech (bench/audio.ts, looped)
// at real-time pace for N minutes against a server in its own process. Every minute it prints the server's RSS
// and CPU, and the p50/p95/max latency of the final events of that minute (receive time minus the wall time the
// final's last audio was sent, as bench/serve-load.ts measures it). At the end every session sends `end` and
// must get `done` and close 1000. Flat RSS and latency columns: no leak, no drift.
//   node --import tsx bench/soak-serve.ts [--minutes 3] [--sessions 4] [--step 1000] [--model DIR]
// Needs dist/ (npm run build). Exit 1 if the server died or a session failed. 127.0.0.1 only.
import {readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'
import {baseClip} from './audio.js'
import {percentile} from '../test/tooling/serve-fuzz/report.js'
import {health, miniModelDir, rssMiB, startServeChild} from '../test/tooling/serve-fuzz/serve-child.js'
import {Witness} from '../test/tooling/serve-fuzz/witness.js'

const {values} = parseArgs({
  options: {
    minutes: {type: 'string', default: '3'},
    sessions: {type: 'string', default: '4'},
    step: {type: 'string', default: '1000'},
    model: {type: 'string'},
  },
})
const minutes = Number(values.minutes)
const sessions = Number(values.sessions)
const step = Number(values.step)
if (!(minutes > 0) || !(sessions >= 1) || !(step >= 100)) {
  process.stderr.write('usage: node --import tsx bench/soak-serve.ts [--minutes N] [--sessions K] [--step MS] [--model DIR]\n')
  process.exit(2)
}

const out = (line: string): void => void process.stdout.write(`${line}\n`)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
/** utime + stime of a process, seconds (Linux /proc; 0 elsewhere). */
const cpuSeconds = (pid: number): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : '-')

const modelDir = values.model ?? (await miniModelDir())
const clip = await baseClip()
const server = await startServeChild(modelDir, ['--max-sessions', String(sessions + 4), '--idle-timeout', '30'])
let failed: boolean
try {
  await sleep(500)
  const idleRss = rssMiB(server.pid)
  out(`soak-serve: ${sessions} sessions × ${minutes} min at real-time pace, step ${step} ms, model ${modelDir}`)
  out(`audio: ${clip.description}; server pid ${server.pid}, RSS ${idleRss} MiB idle`)
  const witnesses: Witness[] = []
  for (let i = 0; i < sessions; i++) {
    // Each session starts at another point of the clip (a rotated copy), so they do not speak in unison.
    const at = Math.floor((i * clip.pcm.length) / sessions)
    const pcm = new Float32Array(clip.pcm.length)
    pcm.set(clip.pcm.subarray(at))
    pcm.set(clip.pcm.subarray(0, at), clip.pcm.length - at)
    const w = new Witness(server.url.replace('http', 'ws'), pcm, {query: `?encoding=f32le&step_ms=${step}`})
    await w.start()
    witnesses.push(w)
    await sleep(1000 / sessions)
  }
  const header = ['minute', 'finals', 'p50 ms', 'p95 ms', 'max ms', 'RSS MiB', 'CPU %', 'sessions']
  const row = (cells: string[]): string => cells.map((cell, i) => cell.padStart(header[i].length + 2)).join('')
  out(row(header))
  const started = Date.now()
  let cpu = cpuSeconds(server.pid)
  const all: number[] = []
  const rssByMinute: number[] = []
  for (let minute = 1; minute <= minutes && server.exit === undefined; minute++) {
    await sleep(Math.max(0, started + minute * 60_000 - Date.now()))
    const latencies = witnesses.flatMap((w) => w.takeLatencies())
    all.push(...latencies)
    const rss = rssMiB(server.pid)
    rssByMinute.push(rss)
    const nowCpu = cpuSeconds(server.pid)
    const open = (await health(server.url).catch(() => ({sessions: Number.NaN}))).sessions
    out(
      row([
        String(minute),
        String(latencies.length),
        ms(percentile(latencies, 50)),
        ms(percentile(latencies, 95)),
        ms(Math.max(...latencies)),
        rss.toFixed(1),
        ((100 * (nowCpu - cpu)) / 60).toFixed(0),
        String(open),
      ]),
    )
    cpu = nowCpu
  }
  const results = await Promise.all(witnesses.map((w) => w.stop()))
  const ok = results.filter((r) => r.ok).length
  out('')
  out(
    `${ok}/${sessions} sessions ended with done and 1000; ${results.reduce((n, r) => n + r.finals, 0)} finals over ${results.reduce((n, r) => n + r.audioSeconds, 0).toFixed(0)} s of audio`,
  )
  out(`final latency over the run: p50 ${ms(percentile(all, 50))} ms, p95 ${ms(percentile(all, 95))} ms, max ${ms(Math.max(...all))} ms`)
  out(`server RSS: ${idleRss} MiB idle, ${rssByMinute.join(' → ')} MiB by minute`)
  for (const [i, r] of results.entries()) if (!r.ok) out(`session ${i + 1} FAILED: ${r.problems.join('; ')}`)
  if (server.exit !== undefined) out(`the server DIED (exit ${server.exit})`)
  failed = ok !== sessions || server.exit !== undefined
} finally {
  const code = await server.stop()
  if (code !== 0) {
    out(`serve exited with ${code} after SIGTERM`)
    failed = true
  }
}
out(failed ? 'FAILED' : 'ok')
process.exit(failed ? 1 : 0)
