// Every bench scenario at a tiny size on the mini model: structure, not speed (no timing is asserted).
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {renderHtml} from '../../bench/report-html.js'
import {runBench, type BenchReport} from '../../bench/run.js'
import {percentile, slope, split} from '../../bench/stats.js'
import {renderReport} from '../../bench/table.js'
import {targetRows} from '../../bench/targets.js'
import {wordAgreement} from '../../bench/file.js'
import {repoRoot, testModel} from '../helpers/test-models.js'

let model: string
let work: string
let report: BenchReport

beforeAll(async () => {
  model = await testModel('mini')
  work = mkdtempSync(path.join(tmpdir(), 'bench-test-'))
  report = await runBench({
    model,
    scenarios: ['coldstart', 'decode', 'stream', 'naive', 'file', 'serve', 'quality'],
    coldStart: {runs: 1, clipSeconds: 2},
    threads: 1,
    minutes: 4 / 60,
    decode: {lengths: [4, 8], reps: 1, encoderReps: 1, windowReps: 1},
    naiveSeconds: 3,
    streamDraft: 'both',
    file: {reps: 1, tokens: 6, tokenReps: 1},
    serveSessions: [1],
    serveSeconds: 2,
    quality: {seconds: 12, quietSeconds: 2, vad: [false], draft: [true], decodings: ['fallback', 'greedy']},
  })
})

afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('bench helpers', () => {
  it('percentile, slope, split and word agreement', () => {
    expect(percentile([1, 2, 3, 4, 5], 0.5)).toBe(3)
    expect(percentile([10, 20], 0.95)).toBeCloseTo(19.5)
    expect(slope([0, 1, 2], [1, 3, 5])).toBeCloseTo(2)
    expect(split([1, 2, 3, 4, 5], 10).flat()).toEqual([1, 2, 3, 4, 5])
    expect(wordAgreement('the quick brown fox', 'The quick, brown dog')).toBeCloseTo(0.75)
    expect(wordAgreement('', '')).toBe(1)
  })
})

describe('runBench at a tiny size', () => {
  it('records the machine, model and audio', () => {
    expect(report.machine.cores).toBeGreaterThan(0)
    expect(report.machine.node).toBe(process.version)
    expect(report.machine.onnxruntime).toMatch(/^\d+\.\d+/)
    expect(report.model.decoderLayers).toBe(2)
    expect(['espeak-ng', 'synthetic']).toContain(report.audio.source)
  })

  it('decode: a row per length with both paths and their ratio, and the encoder cost', () => {
    expect(report.decode!.rows.map((r) => r.tokens)).toEqual([4, 8])
    for (const row of report.decode!.rows) {
      expect(row.cachedMsPerToken).toBeGreaterThan(0)
      expect(row.uncachedMsPerToken).toBeGreaterThan(0)
      expect(row.speedup).toBeGreaterThan(0)
    }
    expect(report.decode!.encoderMs).toBeGreaterThan(0)
  })

  it('decode: the whole-window cost of the temperature fallback and of 5 beams against greedy', () => {
    const [greedy, fallback, beam] = report.decode!.window!
    expect(greedy).toMatchObject({attempts: 1, ratio: 1})
    expect(fallback!.attempts).toBe(6)
    expect(beam!.attempts).toBe(1)
    expect(fallback!.ms).toBeGreaterThan(0)
    expect(renderReport(report)).toContain('fallback through all 6 temperatures')
  })

  it('stream and naive: one sample per 1 s step, deciles, drift and memory slope fields', () => {
    const stream = report.stream!
    expect(stream.summary.steps).toBeGreaterThanOrEqual(3)
    expect(stream.summary.audioSeconds).toBeCloseTo(4, 0)
    expect(stream.samples.length).toBe(stream.summary.steps)
    expect(stream.summary.deciles.length).toBeGreaterThan(0)
    expect(stream.summary.deciles.reduce((n, d) => n + d.steps, 0)).toBe(stream.summary.steps)
    expect(stream.summary).toHaveProperty('drift')
    expect(stream.summary).toHaveProperty('rssSlopeMBPerHour')
    const noDraft = report.streamNoDraft!
    expect(noDraft.settings['draft']).toBe(false)
    expect(stream.settings['draft']).toBe(true)
    expect(noDraft.summary.steps).toBe(stream.summary.steps)
    const naive = report.naive!
    expect(naive.summary.steps).toBe(3)
    expect(naive.summary.audioSeconds).toBeCloseTo(3, 0)
  })

  it('file: our long-form run, and transformers.js side by side when installed', () => {
    const file = report.file!
    expect(file.audioSeconds).toBeCloseTo(4, 0)
    expect(file.ours.wallSeconds).toHaveLength(1)
    if (file.available) {
      expect(file.theirs!.wallSeconds).toHaveLength(1)
      expect(file.speedup).toBeGreaterThan(0)
      expect(file.wordAgreement).toBeGreaterThanOrEqual(0)
      expect(file.firstWindow!.identical).toBe(true)
      expect(file.decoding!.oursMsPerToken).not.toBeNull()
    } else {
      expect(file.reason).toMatch(/transformers/)
    }
  })

  it("coldstart: fresh processes timed whole, and the CLI's own breakdown of one more", () => {
    const c = report.coldStart!
    expect(c).toMatchObject({runs: 1, clipSeconds: 2, dtype: 'fp32'})
    expect(c.versionMs).toBeGreaterThan(0)
    expect(c.transcribeMs).toBeGreaterThan(0)
    const at = (name: string) => c.phases.find((p) => p.name === name)!
    expect(at('first output').startMs).toBeGreaterThanOrEqual(at('model load').endMs)
    const names = c.phases.map((p) => p.name)
    expect(names).toEqual(expect.arrayContaining(['node bootstrap', 'command ready', 'model load', 'session encoder', 'first output']))
    expect(renderReport(report)).toMatch(/## coldstart[\s\S]*session decoder/)
  })

  it('serve: a run per session count with latency and server memory', () => {
    const serve = report.serve!
    expect(serve.runs.map((r) => r.sessions)).toEqual([1])
    const [run] = serve.runs
    expect(run!.completed).toBe(1)
    expect(run!.peakRssMiB).toBeGreaterThan(0)
    expect(serve.maxHeldSessions).toBe(run!.held ? 1 : 0)
    expect(serve.encoderBatch.map((b) => b.batch)).toEqual([1, 2, 4, 6])
    for (const b of serve.encoderBatch) expect(b.msPerWindow).toBeGreaterThan(0)
    expect(renderReport(report)).toMatch(/encoder, one 30 s window in a batch of 1 \/ 2 \/ 4 \/ 6/)
    expect(renderReport(report)).toMatch(/sessions +completed/)
  })

  it('quality: WER of file and stream against the held-out words, latency, churn and words on silence and noise', () => {
    const q = report.quality!
    expect(q.words).toBeGreaterThan(3)
    expect(q.audio).toContain('held-out variant')
    expect(q.files.map((f) => f.decoding)).toEqual(['fallback', 'greedy'])
    const f = q.files[0]!.errors
    expect(f.ref).toBe(q.words)
    expect(f.substitutions + f.deletions).toBeLessThanOrEqual(q.words)
    // Every VAD × draft setting with the live default, then each other decoding once.
    expect(q.streams.map((s) => [s.vad, s.draft, s.decoding])).toEqual([
      [false, true, 'fallback'],
      [false, true, 'greedy'],
    ])
    const s = q.streams[0]!
    expect(s.werOverFile).toBeCloseTo(s.errors.wer - f.wer, 2)
    expect(q.streams[1]!.werOverFile).toBeCloseTo(q.streams[1]!.errors.wer - q.files[1]!.errors.wer, 2)
    expect(s.wordsOnSilence).toBeGreaterThanOrEqual(0)
    expect(s.partialChurn).toBeGreaterThanOrEqual(0)
    expect(renderReport(report)).toMatch(/file \(long-form\), greedy/)
    expect(renderReport(report)).toContain('## quality: synthetic speech')
  })

  it('renders tables, targets and a self-contained HTML report', async () => {
    const text = renderReport(report)
    expect(text).toContain('## decode')
    expect(text).toContain('## stream')
    expect(text).toContain('## naive')
    expect(text).toContain('no draft/draft')
    expect(text).toContain('## targets')
    expect(targetRows(report).length).toBeGreaterThanOrEqual(4)
    const html = await renderHtml(report)
    expect(html).toContain('echarts.init')
    expect(html).not.toMatch(/<script[^>]+src=/)
    expect(html.length).toBeGreaterThan(500_000)
  })
})

describe('whisper-stream bench (CLI)', () => {
  it('prints JSON on stdout, progress on stderr, and writes the HTML report', async () => {
    const out = path.join(work, 'report.html')
    const result = await execa(
      'node',
      [
        path.join(repoRoot, 'bin/run.js'),
        'bench',
        '--model',
        model,
        '--scenario',
        'stream',
        '--minutes',
        '0.05',
        '--threads',
        '1',
        '--json',
        '--out',
        out,
      ],
      {reject: false},
    )
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout) as BenchReport
    expect(json.scenarios).toEqual(['stream'])
    expect(json.stream!.summary.steps).toBeGreaterThanOrEqual(2)
    expect(result.stderr).toContain('bench: stream')
    expect(readFileSync(out, 'utf8')).toContain('<html')
  })

  it('rejects a bad --minutes with a usage error', async () => {
    const result = await execa('node', [path.join(repoRoot, 'bin/run.js'), 'bench', '--minutes', 'abc'], {reject: false})
    expect(result.exitCode).not.toBe(0)
    expect(result.stderr).toContain('--minutes')
  })
})
