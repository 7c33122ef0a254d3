// runBench(): the scenarios in order, one model load, one report object (what --json prints).
import {mkdir} from 'node:fs/promises'
import path from 'node:path'
import {writeWav} from '../src/engine/audio/wav.js'
import {canAlign} from '../src/engine/decode/alignment/align-tokens.js'
import {WhisperModel} from '../src/engine/model/whisper-model.js'
import {baseClip, loopTo, SAMPLE_RATE} from './audio.js'
import {runColdStart, type ColdStartOptions, type ColdStartResult} from './cold-start.js'
import {defaultDecodeOptions, runDecode, type DecodeOptions, type DecodeResult} from './decode.js'
import {runFile, type FileOptions, type FileResult} from './file.js'
import {machineInfo, type MachineInfo} from './machine.js'
import {benchModel, generatedModel, ggmlFiles} from './model.js'
import {runNaive} from './naive.js'
import {cacheDir} from './paths.js'
import {silentProgress, type Progress} from './progress.js'
import {runServe, type ServeResult} from './serve.js'
import {QUALITY_DECODINGS, runQuality, type QualityOptions, type QualityResult} from './quality.js'
import {runStream, type StreamOptions, type TimelineResult} from './stream.js'
import {defaultWhisperCppOptions, runWhisperCpp, type WhisperCppOptions, type WhisperCppResult} from './whispercpp.js'

import {defaultVariantOptions, runVariants, type VariantOptions, type VariantsResult} from './variants.js'
import {formatDtype, parseDtypeChoice, sameDtype, type DtypeChoice} from '../src/engine/store/registry.js'
export const SCENARIOS = ['coldstart', 'decode', 'stream', 'naive', 'file', 'whispercpp', 'serve', 'quality', 'variants'] as const
export type Scenario = (typeof SCENARIOS)[number]

export interface BenchOptions {
  /** Model directory or name; undefined generates tiny-shaped. */
  model?: string | undefined
  scenarios: Scenario[]
  threads: number
  /** Audio for "stream"; "naive" gets a fifth, "file" min(10 min, this). */
  minutes: number
  coldStart?: Partial<Pick<ColdStartOptions, 'runs' | 'clipSeconds'>>
  decode?: Partial<DecodeOptions>
  stream?: Partial<StreamOptions>
  naiveSeconds?: number
  file?: Partial<FileOptions>
  whispercpp?: Partial<WhisperCppOptions>
  serveSessions?: number[]
  serveSeconds?: number
  /** Voice activity detection in the stream scenario: off (every step does work), on (the CLI's default), or both runs. */
  streamVad?: 'off' | 'on' | 'both'
  /** Draft decoding in the stream scenario: on (ours), off, or both runs, to show what it saves. */
  streamDraft?: 'off' | 'on' | 'both'
  quality?: Partial<QualityOptions>
  /** Weight variant for decode, stream, naive and file ("q8", "encoder=fp32,decoder=q8"); default fp32. */
  dtype?: string
  variants?: Partial<VariantOptions>
  progress?: Progress
}

export interface BenchReport {
  version: 1
  command: string
  machine: MachineInfo
  model: {
    dir: string
    origin: string
    name: string
    dModel: number
    encoderLayers: number
    decoderLayers: number
    vocab: number
    threads: number
    /** The weight variant decode, stream, naive and file ran with. */
    dtype: string
  }
  audio: {source: string; description: string}
  scenarios: Scenario[]
  coldStart?: ColdStartResult
  decode?: DecodeResult
  stream?: TimelineResult
  streamVad?: TimelineResult
  streamNoDraft?: TimelineResult
  naive?: TimelineResult
  file?: FileResult
  whispercpp?: WhisperCppResult & {model: string}
  serve?: ServeResult
  quality?: QualityResult
  variants?: VariantsResult
  wallSeconds: number
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const progress = options.progress ?? silentProgress
  const started = Date.now()
  const machine = machineInfo()
  // Quality needs a model that knows words: without --model it runs on trained-mini (alone, or beside the others).
  const onlyQuality = options.scenarios.length > 0 && options.scenarios.every((s) => s === 'quality')
  const dtype: DtypeChoice = options.dtype ? parseDtypeChoice(options.dtype) : 'fp32'
  const wantVariants = options.scenarios.includes('variants') || !sameDtype(dtype, 'fp32')
  const found = await benchModel(options.model, (line) => progress.note(line), onlyQuality ? 'trained-mini' : 'tiny-shaped', wantVariants)
  const model = await WhisperModel.load(found.dir, {dtype, threads: options.threads || undefined})
  const clip = await baseClip()
  if (clip.source !== 'espeak-ng') progress.note(`espeak-ng unavailable: using ${clip.description}`)
  const report: BenchReport = {
    version: 1,
    command: process.argv
      .slice(1)
      .map((a) => path.relative(process.cwd(), a) || a)
      .join(' '),
    machine,
    model: {
      dir: found.dir,
      origin: found.origin,
      name: model.name,
      dModel: model.config.dModel,
      encoderLayers: model.config.encoderLayers,
      decoderLayers: model.config.decoderLayers,
      vocab: model.config.vocabSize,
      threads: options.threads,
      dtype: formatDtype(dtype),
    },
    audio: {source: clip.source, description: clip.description},
    scenarios: options.scenarios,
    wallSeconds: 0,
  }
  const streamVad = options.streamVad ?? 'off'
  const streamDraft = options.streamDraft ?? 'on'
  const streamOptions: StreamOptions = {
    seconds: options.minutes * 60,
    stepMs: 1000,
    chunkSamples: 3_200,
    vad: streamVad === 'on',
    draft: streamDraft !== 'off',
    ...options.stream,
  }
  const want = new Set(options.scenarios)
  try {
    if (want.has('coldstart')) {
      progress.begin('coldstart: --version and a short clip, each a fresh process')
      const clipSeconds = options.coldStart?.clipSeconds ?? 5
      const wav = path.join(cacheDir('bench-audio'), `coldstart-${clipSeconds}s-${clip.source}.wav`)
      await mkdir(path.dirname(wav), {recursive: true})
      await writeWav(wav, loopTo(clip.pcm, clipSeconds), SAMPLE_RATE)
      const runs = options.coldStart?.runs ?? 5
      report.coldStart = await runColdStart(
        {modelDir: found.dir, dtype: formatDtype(dtype), threads: options.threads, wav, clipSeconds, runs},
        progress,
      )
      progress.end(
        `--version ${report.coldStart.versionMs} ms, ${clipSeconds} s clip ${report.coldStart.transcribeMs} ms (median of ${runs})`,
      )
    }
    if (want.has('decode')) {
      progress.begin('decode: ms per token, cached vs uncached')
      const decodeOptions = {...defaultDecodeOptions, ...options.decode}
      // Word timestamps need the _timestamped decoder outputs: the generated default gets a twin that has them.
      const twin =
        options.model === undefined && decodeOptions.windowReps > 0
          ? await WhisperModel.load((await generatedModel('tiny-shaped', (line) => progress.note(line), false, false, true)).dir, {
              threads: options.threads || undefined,
            })
          : undefined
      try {
        report.decode = await runDecode(model, clip.pcm, decodeOptions, progress, twin ?? (canAlign(model) ? model : undefined))
      } finally {
        await twin?.release()
      }
      progress.end()
    }
    if (want.has('stream')) {
      progress.begin(`stream: ${fmtSeconds(streamOptions.seconds)} of audio, 1 s steps, VAD ${streamOptions.vad ? 'on' : 'off'}`)
      report.stream = await runStream(model, clip.pcm, streamOptions, progress)
      progress.end(`p95 ${report.stream.summary.p95Ms} ms, drift ${report.stream.summary.drift}`)
      if (streamVad === 'both') {
        progress.begin(`stream: ${fmtSeconds(streamOptions.seconds)} of audio, VAD on`)
        report.streamVad = await runStream(model, clip.pcm, {...streamOptions, vad: true}, progress)
        progress.end()
      }
      if (streamDraft === 'both') {
        progress.begin(`stream: ${fmtSeconds(streamOptions.seconds)} of audio, no draft`)
        report.streamNoDraft = await runStream(model, clip.pcm, {...streamOptions, draft: false}, progress)
        progress.end(`p95 ${report.streamNoDraft.summary.p95Ms} ms`)
      }
    }
    if (want.has('naive')) {
      const seconds = options.naiveSeconds ?? streamOptions.seconds / 5
      progress.begin(`naive: ${fmtSeconds(seconds)} of audio, growing buffer, uncached`)
      report.naive = await runNaive(model, clip.pcm, {...streamOptions, seconds, vad: false}, progress)
      progress.end(`p95 ${report.naive.summary.p95Ms} ms`)
    }
    if (want.has('file')) {
      const file: FileOptions = {
        seconds: Math.min(600, streamOptions.seconds),
        threads: options.threads,
        reps: 2,
        tokens: 128,
        tokenReps: 3,
        dtype,
        ...options.file,
      }
      progress.begin(`file: ${fmtSeconds(file.seconds)} long-form, ours vs transformers.js`)
      report.file = await runFile(model, found.dir, clip.pcm, file, progress)
      progress.end(report.file.available ? `speed-up ${report.file.speedup}x` : report.file.reason)
    }
    if (want.has('whispercpp')) {
      progress.begin('whispercpp: whisper.cpp vs ours on the same weights')
      // The generated default gets its own copy with whisper.cpp files (and a peaked final LayerNorm:
      // same greedy tokens, see README); a --model folder is compared when it holds ggml-model*.bin.
      const peer = options.model === undefined ? await generatedModel('tiny-shaped', (line) => progress.note(line), true) : found
      const threads = options.threads || undefined
      const peerModel = peer === found ? model : await WhisperModel.load(peer.dir, {threads})
      // Our quantized decoders (the hub's variants) next to whisper.cpp's f16/q8_0, where the folder has them.
      const variants: NonNullable<WhisperCppOptions['variants']> = []
      // q8 twice: with the 8-bit logits projection (the default) and with the file's float one (transformers.js's numerics).
      const decoders = [
        ['fp16', true],
        ['q8', true],
        ['q8', false],
        ['q4', true],
      ] as const
      for (const [dtype, int8Logits] of decoders) {
        try {
          variants.push({
            label: `decoder ${dtype}${int8Logits ? '' : ', float logits'}`,
            model: await WhisperModel.load(peer.dir, {threads, int8Logits, dtype: {encoder: 'fp32', decoder: dtype}}),
          })
        } catch {
          // not in this folder
        }
      }
      try {
        const settings: WhisperCppOptions = {
          ...defaultWhisperCppOptions,
          fileSeconds: Math.min(defaultWhisperCppOptions.fileSeconds, streamOptions.seconds),
          ...options.whispercpp,
          ggml: options.whispercpp?.ggml ?? ggmlFiles(peer.dir),
          threads: options.threads,
          variants,
        }
        report.whispercpp = {model: peer.origin, ...(await runWhisperCpp(peerModel, clip.pcm, settings, progress))}
      } finally {
        if (peerModel !== model) await peerModel.release()
        for (const v of variants) await v.model.release()
      }
      progress.end(report.whispercpp.available ? undefined : report.whispercpp.reason)
    }
    if (want.has('serve')) {
      progress.begin('serve: concurrent sessions')
      const seconds = options.serveSeconds ?? Math.min(60, streamOptions.seconds)
      const wav = path.join(cacheDir('bench-audio'), `serve-${seconds}s-${clip.source}.wav`)
      await mkdir(path.dirname(wav), {recursive: true})
      await writeWav(wav, loopTo(clip.pcm, seconds), SAMPLE_RATE)
      // Greedy, as the stream scenario: random weights fail the fallback's thresholds on every step, which
      // would price the fallback, not the server. Same weight variant and threads as the other scenarios.
      const serveArgs = ['--temperature', '0', '--dtype', formatDtype(dtype), '--threads', String(options.threads)]
      report.serve = await runServe(
        model,
        {modelDir: found.dir, sessions: options.serveSessions ?? [1, 2, 4, 6, 8, 12, 16, 24, 32], seconds, wav, serveArgs},
        progress,
      )
      progress.end(`${report.serve.maxHeldSessions} sessions held under ${report.serve.latencyLimitMs} ms p95`)
    }
    if (want.has('quality')) {
      const quality: QualityOptions = {
        seconds: Math.max(60, Math.min(600, streamOptions.seconds)),
        seed: 16,
        quietSeconds: 60,
        vad: streamVad === 'both' ? [false, true] : [streamVad === 'on'],
        draft: streamDraft === 'both' ? [true, false] : [streamDraft !== 'off'],
        decodings: [...QUALITY_DECODINGS],
        ...options.quality,
      }
      const separate = options.model === undefined && !onlyQuality
      const load = async (timestamped: boolean): Promise<WhisperModel> =>
        WhisperModel.load((await generatedModel('trained-mini', undefined, false, false, timestamped)).dir, {
          threads: options.threads || undefined,
        })
      const qualityModel = separate ? await load(false) : model
      // Word times need the _timestamped outputs: the generated model gets a twin that has them.
      const aligned = options.model === undefined ? await load(true) : canAlign(model) ? model : undefined
      progress.begin(`quality: ${fmtSeconds(quality.seconds)} of held-out synthetic speech, file and stream`)
      try {
        report.quality = await runQuality(qualityModel, quality, progress, aligned)
      } finally {
        await Promise.all([separate ? qualityModel.release() : undefined, aligned === model ? undefined : aligned?.release()])
      }
      progress.end(
        report.quality.files.map((f) => `file WER ${f.errors.wer} % (${f.decoding}${f.vadFilter ? ', VAD filter' : ''})`).join(', '),
      )
    }
    if (want.has('variants')) {
      const variants: VariantOptions = {...defaultVariantOptions, threads: options.threads, ...options.variants}
      // Agreement on random weights measures near-ties; a model that knows words says more, so the
      // generated default is joined by trained-mini's variants.
      const trained =
        options.model === undefined ? await generatedModel('trained-mini', (line) => progress.note(line), false, true) : undefined
      progress.begin(`variants: ${variants.variants.length} weight variants, each in a process of its own`)
      report.variants = await runVariants(found.dir, variants, progress, trained && {dir: trained.dir, name: 'trained-mini'})
      progress.end()
    }
  } finally {
    await model.release()
  }
  report.wallSeconds = Math.round((Date.now() - started) / 100) / 10
  return report
}

export const fmtSeconds = (seconds: number): string => (seconds >= 120 ? `${+(seconds / 60).toFixed(1)} min` : `${+seconds.toFixed(1)} s`)
