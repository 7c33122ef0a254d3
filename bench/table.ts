// The terminal report: plain aligned tables, one per scenario, then the targets.
import type {BenchReport} from './run.js'
import type {TimelineResult} from './stream.js'
import type {TimelineSummary} from './timeline.js'
import type {QualityResult} from './quality.js'
import type {WordTimingQuality} from './word-timing.js'
import {targetRows} from './targets.js'
import type {WhisperCppResult} from './whispercpp.js'
import type {ColdStartResult} from './cold-start.js'
import {textTable, type Cell} from '../src/output/text-table.js'

export const table = (headers: string[], rows: Cell[][]): string => textTable(headers, rows, {rule: true, alignNumbers: true})

export function timelineTable(result: TimelineResult): string {
  const s = result.summary
  const rows = s.deciles.map((d) => [`${d.fromS}-${d.toS} s`, d.steps, d.p50Ms, d.p95Ms, d.maxMs, d.rssMB, d.heapMB])
  return [
    table(['stream time', 'steps', 'p50 ms', 'p95 ms', 'max ms', 'RSS MB', 'heap MB'], rows),
    `all steps: p50 ${s.p50Ms} ms, p95 ${s.p95Ms} ms, max ${s.maxMs} ms; compute per ${s.stepSeconds} s step ${s.computePerStep} s; ` +
      `drift ${s.drift} (after ${s.warmupSeconds} s warm-up ${s.driftAfterWarmup}); RSS slope ${s.rssSlopeMBPerHour} MB/audio h, heap slope ${s.heapSlopeMBPerHour} MB/audio h; ` +
      `${s.audioSeconds} s audio in ${s.wallSeconds} s wall`,
  ].join('\n')
}

export function renderReport(report: BenchReport): string {
  const out: string[] = []
  const m = report.machine
  out.push(
    `whisper-stream bench — ${m.cpu}, ${m.cores} cores, Node ${m.node}, onnxruntime ${m.onnxruntime}, transformers.js ${m.transformers ?? 'absent'}, load ${m.loadAverage.join(' ')}`,
  )
  out.push(
    `model: ${report.model.origin}; ${report.model.dtype ?? 'fp32'}; ${report.model.threads || 'default'} threads; audio: ${report.audio.description}`,
  )
  if (report.decode) {
    const d = report.decode
    out.push('', `## decode (ms per token, end-of-text suppressed, prompt of ${d.promptTokens} tokens)`)
    out.push(
      table(
        ['tokens', 'cached ms/tok', 'uncached ms/tok', 'uncached/cached'],
        d.rows.map((r) => [r.tokens, r.cachedMsPerToken, r.uncachedMsPerToken, r.speedup === null ? null : `${r.speedup}x`]),
      ),
    )
    out.push(`one 30 s window: log-mel ${d.melMs} ms, encoder ${d.encoderMs} ms`)
    if (d.window) {
      out.push('', '## decode: one 30 s window of speech, whole (log-mel, encoder, decoding), by decoding variant')
      out.push(
        table(
          ['variant', 'ms', 'decodes', 'tokens kept', 'vs greedy'],
          d.window.map((r) => [r.variant, r.ms, r.attempts, r.tokens, r.ratio === null ? null : `${r.ratio}x`]),
        ),
      )
    }
  }
  if (report.variants) out.push('', ...variantsTable(report))
  if (report.stream)
    out.push('', `## stream: ${report.stream.label}`, timelineTable(report.stream), `prompt resets: ${report.stream.promptResets ?? 0}`)
  if (report.streamVad) out.push('', `## stream: ${report.streamVad.label}`, timelineTable(report.streamVad))
  if (report.streamNoDraft) out.push('', `## stream: ${report.streamNoDraft.label}`, timelineTable(report.streamNoDraft))
  if (report.stream && report.streamNoDraft)
    out.push('', comparison(report.stream.summary, report.streamNoDraft.summary, ['draft (ours)', 'no draft']))
  if (report.naive) out.push('', `## naive: ${report.naive.label}`, timelineTable(report.naive))
  if (report.stream && report.naive) out.push('', comparison(report.stream.summary, report.naive.summary, ['window (ours)', 'naive']))
  if (report.file) {
    const f = report.file
    out.push('', `## file: ${f.audioSeconds} s long-form, ${f.threads} threads`)
    if (!f.available) out.push(`ours: ${f.ours.wallSeconds.join(', ')} s (RTF ${f.ours.rtf}); transformers.js: not available: ${f.reason}`)
    else {
      out.push(
        table(
          ['', 'wall s (runs)', 'RTF', 'words', 'out tokens', 'ms/out token'],
          [
            ['ours (long-form)', f.ours.wallSeconds.join(', '), f.ours.rtf, f.ours.words, f.ours.tokens, f.ours.msPerToken],
            [
              'transformers.js pipeline',
              f.theirs!.wallSeconds.join(', '),
              f.theirs!.rtf,
              f.theirs!.words,
              f.theirs!.tokens,
              f.theirs!.msPerToken,
            ],
          ],
        ),
      )
      out.push(
        `speed-up ${f.speedup}x wall, ${f.perTokenSpeedup}x per output token; word agreement ${pct(f.wordAgreement)}; first window tokens ${f.firstWindow!.identical ? 'identical' : 'differ'} (${f.firstWindow!.sharedPrefix} shared of ${f.firstWindow!.oursTokens}/${f.firstWindow!.theirsTokens})`,
      )
      const d = f.decoding!
      out.push(
        `decoding per token (${d.tokens} tokens): ours ${d.oursMsPerToken} ms, transformers.js generate ${d.theirsMsPerToken} ms → ${d.speedup}x`,
      )
    }
    for (const note of f.notes) out.push(`note: ${note}`)
  }
  if (report.coldStart) out.push('', coldStartTable(report.coldStart))
  if (report.whispercpp) out.push('', whisperCppTable(report.whispercpp))
  if (report.serve) {
    out.push('', '## serve')
    const {runs, maxHeldSessions, latencyLimitMs} = report.serve
    out.push(
      table(
        ['sessions', 'completed', 'finals', 'p50 ms', 'p95 ms', 'max ms', 'idle RSS MiB', 'peak RSS MiB', 'held'],
        runs.map((r) => [
          r.sessions,
          r.completed,
          r.finals,
          r.p50LatencyMs,
          r.p95LatencyMs,
          r.maxLatencyMs,
          r.idleRssMiB,
          r.peakRssMiB,
          r.held ? 'yes' : 'no',
        ]),
      ),
    )
    out.push(`final-event latency at real-time pace; held: p95 under ${latencyLimitMs} ms. Most sessions held: ${maxHeldSessions}`)
    const batched = report.serve.batched ?? []
    if (batched.length > 0)
      out.push(
        `every step at once, encoder passes batched (--concurrency N --encoder-batch N): ` +
          batched
            .map((r) => `${r.sessions} sessions p50 / p95 ${r.p50LatencyMs} / ${r.p95LatencyMs} ms${r.held ? '' : ' (not held)'}`)
            .join('; '),
      )
    const batches = report.serve.encoderBatch
    if (batches.length > 0)
      out.push(
        `encoder, one 30 s window in a batch of ${batches.map((b) => b.batch).join(' / ')}: ` +
          `${batches.map((b) => b.msPerWindow).join(' / ')} ms per window (${batches.map((b) => `${b.ratio}x`).join(' / ')} of batch 1)`,
      )
  }
  if (report.quality) out.push('', `## quality: ${report.quality.audio}`, qualityTable(report.quality))
  const targets = targetRows(report)
  if (targets.length > 0) {
    out.push('', '## targets (reported, not asserted)')
    out.push(
      table(
        ['target', 'wanted', 'measured', 'met'],
        targets.map((t) => [t.name, t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO']),
      ),
    )
  }
  out.push('', `total ${report.wallSeconds} s`)
  return out.join('\n') + '\n'
}

/** Step latency of our run against another, with the other/ours ratios. */
function comparison(ours: TimelineSummary, other: TimelineSummary, [oursName, otherName]: [string, string]): string {
  return table(
    ['', oursName, otherName, `${otherName}/${oursName.replace(/ \(ours\)$/, '')}`],
    [
      ['p50 step ms', ours.p50Ms, other.p50Ms, ratio(other.p50Ms, ours.p50Ms)],
      ['p95 step ms', ours.p95Ms, other.p95Ms, ratio(other.p95Ms, ours.p95Ms)],
      ['max step ms', ours.maxMs, other.maxMs, ratio(other.maxMs, ours.maxMs)],
      ['compute per step (s)', ours.computePerStep, other.computePerStep, ratio(other.computePerStep, ours.computePerStep)],
    ],
  )
}

const ratio = (a: number | null, b: number | null): string | null => (a === null || b === null || b === 0 ? null : `${(a / b).toFixed(1)}x`)
const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`)

/** One row for long-form file transcription, one per stream run. */
export function qualityTable(q: QualityResult): string {
  const rows: Cell[][] = [
    ...q.files.map((f) => [
      `file (long-form${f.vadFilter ? ', VAD filter' : ''}), ${f.decoding}`,
      f.errors.wer,
      '',
      `${f.errors.substitutions}/${f.errors.deletions}/${f.errors.insertions}`,
      f.errors.doubled,
      '',
      '',
      '',
      '',
      '',
      f.wordsOnSilence,
      f.wordsOnNoise,
    ]),
    ...q.streams.map((s) => [
      `stream, VAD ${s.vad ? 'on' : 'off'}, draft ${s.draft ? 'on' : 'off'}, ${s.decoding}`,
      s.errors.wer,
      s.werOverFile,
      `${s.errors.substitutions}/${s.errors.deletions}/${s.errors.insertions}`,
      s.errors.doubled,
      s.doubledAtCommit,
      s.lostVsFile,
      s.latencyP50,
      s.latencyP90,
      s.partialChurn,
      s.wordsOnSilence,
      s.wordsOnNoise,
    ]),
  ]
  return [
    table(
      [
        'transcription',
        'WER %',
        'vs file',
        'S/D/I',
        'doubled',
        'at a commit',
        'lost vs file',
        'final p50 s',
        'final p90 s',
        'churn',
        'words on silence',
        'words on noise',
      ],
      rows,
    ),
    `${q.words} reference words; latency: audio clock when the final was emitted (plus that step's compute) minus the word's end; ` +
      `churn: words a partial showed that a later partial or final changed, per final word; silence and noise: ${q.quietSeconds} s each; ` +
      "doubled: inserted words next to the same word; at a commit: of those, a final that opens on the word the previous final closed with (mostly the stream's part; also a word the model wrote early, in the pause before it); " +
      "decodings: greedy (temperature 0), fallback (Whisper's temperatures, 1 beam: the live default), beam (the same with 5 beams: the file default); " +
      'vs file: against the file row of the same decoding',
    ...(q.wordTiming ? ['', wordTimingTable(q.wordTiming)] : []),
  ].join('\n')
}

function wordTimingTable(timings: readonly WordTimingQuality[]): string {
  return [
    table(
      ['word times (DTW, _timestamped twin)', 'words timed', 'start error p50 s', 'p90 s', 'end error p50 s', 'p90 s'],
      timings.map((t) => [
        `file (long-form${t.vadFilter ? ', VAD filter' : ''}), ${t.decoding}`,
        `${t.matched} of ${t.words}`,
        t.startP50,
        t.startP90,
        t.endP50,
        t.endP90,
      ]),
    ),
    "words timed: the reference words the transcript got right; error: distance from the word's time in the audio",
  ].join('\n')
}

export function whisperCppTable(w: WhisperCppResult & {model: string}): string {
  const out = [`## whispercpp: whisper.cpp (@napi-rs/whisper) vs ours, same weights, ${w.threads || 'default'} threads`]
  if (!w.available) return [...out, `not available: ${w.reason}`].join('\n')
  out.push(`model: ${w.model}`)
  out.push(
    table(
      [
        '',
        '30 s window ms',
        'ms/token (paired median / fastest)',
        `file RTF (${w.fileSeconds} s)`,
        `live step ms (${w.liveWindowSeconds} s)`,
        `live, ours no draft / theirs -ac ${w.liveAudioCtx}`,
        'greedy tokens',
      ],
      w.rows.map((r) => [
        r.label,
        r.windowMs,
        `${r.msPerToken ?? '-'} / ${r.msPerTokenFastest ?? '-'}`,
        r.fileRtf,
        r.liveStepMs,
        r.liveStepAltMs,
        r.agreement,
      ]),
    ),
  )
  for (const note of w.notes) out.push(`note: ${note}`)
  return out.join('\n')
}

/** One row per weight variant, each measured in a process of its own. */
function variantsTable(report: BenchReport): string[] {
  const v = report.variants!
  const lengths = v.settings.lengths
  const trained = v.agreementModel !== undefined
  return [
    `## variants: each weight variant in its own process, ${v.settings.threads || 'default'} threads (ratios within this run)`,
    table(
      [
        'dtype',
        'load ms',
        'RSS MB',
        'encoder ms/window',
        ...lengths.map((n) => `decoder ms/tok @${n}`),
        'live step s/s',
        'fp32 agreement %',
        ...(trained ? [`fp32 agreement % (${v.agreementModel})`] : []),
      ],
      v.rows.map((r) => [
        r.dtype,
        r.loadMs,
        r.rssMB,
        r.encoderMs,
        ...lengths.map((n) => r.msPerToken[n] ?? null),
        r.stepComputePerSecond,
        r.agreement,
        ...(trained ? [r.agreementTrained ?? null] : []),
      ]),
    ),
    `agreement: greedy tokens equal to fp32's before the first difference, over fp32's, averaged over ${v.settings.windows} windows of the bench audio`,
  ]
}

/** Median wall times, then the timings report of one more run (ms from process start). */
export function coldStartTable(c: ColdStartResult): string {
  return [
    `## coldstart: each run a fresh process, median of ${c.runs} (${c.dtype}, greedy)`,
    `whisper-stream --version: ${c.versionMs} ms; transcribe a ${c.clipSeconds} s clip --format text: ${c.transcribeMs} ms`,
    table(
      ['phase', 'from ms', 'to ms', 'ms'],
      c.phases.map((p) => [p.name, p.startMs, p.endMs === p.startMs ? '' : p.endMs, p.endMs === p.startMs ? '' : p.endMs - p.startMs]),
    ),
  ].join('\n')
}
