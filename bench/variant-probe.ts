// One weight variant measured in a process of its own (so load time and RSS are its own):
// started by bench/variants.ts with the probe's options as JSON in argv[2]; prints one JSON line.
import {CachedDecoder} from '../src/engine/decode/decoder-runner.js'
import {WindowTranscriber} from '../src/engine/decode/window-transcriber.js'
import {LogMel} from '../src/engine/features/log-mel.js'
import {WhisperModel} from '../src/engine/model/whisper-model.js'
import type {DtypeChoice} from '../src/engine/store/registry.js'
import {baseClip, loopTo} from './audio.js'
import {timeTokens} from './decode.js'
import {silentProgress} from './progress.js'
import {median, msSince, now, round} from './stats.js'
import {runStream} from './stream.js'

export interface ProbeOptions {
  dir: string
  dtype: DtypeChoice
  threads: number
  /** Decoder lengths to time, ms per token. */
  lengths: number[]
  reps: number
  /** Audio through the streamer for the live step figure. */
  streamSeconds: number
  /** Windows of the bench audio whose greedy tokens are compared with fp32's. */
  windows: number
  /** A second model (one that knows words) whose greedy tokens are compared too. */
  agreementDir?: string
}

export interface ProbeResult {
  loadMs: number
  /** RSS once loaded and warmed up (one window encoded and decoded). */
  rssMB: number
  encoderMs: number | null
  msPerToken: Record<string, number | null>
  /** Median compute of a 1 s live step over its audio. */
  stepComputePerSecond: number | null
  /** Greedy tokens per window, for agreement with fp32. */
  tokens: number[][]
  agreementTokens?: number[][]
}

const mb = (): number => Math.round(process.memoryUsage().rss / 1e6)

async function windowTokens(model: WhisperModel, clip: Float32Array, windows: number): Promise<number[][]> {
  const n = model.preprocessor.nSamples
  const audio = loopTo(clip, (n * windows) / model.preprocessor.samplingRate)
  const out: number[][] = []
  for (let w = 0; w < windows; w++) {
    const transcriber = new WindowTranscriber(model, {
      timestamps: false,
      loop: undefined,
      temperatures: [0],
      thresholds: {compressionRatio: undefined, logprob: undefined, noSpeech: undefined},
    })
    const piece = audio.subarray(w * n, (w + 1) * n)
    out.push((await transcriber.transcribe(piece, piece.length, [], {maxNewTokens: 64})).tokens)
  }
  return out
}

export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const clip = (await baseClip()).pcm
  const started = now()
  const model = await WhisperModel.load(options.dir, {dtype: options.dtype, threads: options.threads || undefined})
  const loadMs = round(msSince(started), 0)!
  try {
    const audio = loopTo(clip, model.preprocessor.nSamples / model.preprocessor.samplingRate)
    const features = new LogMel(model.preprocessor).compute(audio, audio.length)
    const input = model.featuresInput(features)
    input.update()
    const encoderTimes: number[] = []
    let hidden = await model.encode(input.tensor) // warm-up
    for (let i = 0; i < options.reps; i++) {
      const t = now()
      hidden = await model.encode(input.tensor)
      encoderTimes.push(msSince(t))
    }
    const init = new WindowTranscriber(model, {timestamps: false, loop: undefined}).initTokens([])
    const decoder = new CachedDecoder(model.decoderSessions, model.decoderShape)
    await timeTokens(decoder, init, hidden, 4, model.special.endOfText)
    const rssMB = mb()
    const msPerToken: Record<string, number | null> = {}
    for (const length of options.lengths) {
      const times: number[] = []
      for (let i = 0; i < options.reps; i++) times.push((await timeTokens(decoder, init, hidden, length, model.special.endOfText)) / length)
      msPerToken[length] = round(median(times), 2)
    }
    const stream = await runStream(
      model,
      clip,
      {seconds: options.streamSeconds, stepMs: 1000, chunkSamples: 3_200, vad: false, draft: true},
      silentProgress,
    )
    const result: ProbeResult = {
      loadMs,
      rssMB,
      encoderMs: round(median(encoderTimes), 0),
      msPerToken,
      stepComputePerSecond: stream.summary.computePerStep,
      tokens: await windowTokens(model, clip, options.windows),
    }
    if (options.agreementDir) {
      const other = await WhisperModel.load(options.agreementDir, {dtype: options.dtype, threads: options.threads || undefined})
      try {
        result.agreementTokens = await windowTokens(other, clip, options.windows)
      } finally {
        await other.release()
      }
    }
    return result
  } finally {
    await model.release()
  }
}

if (process.argv[2]?.startsWith('{')) {
  const options = JSON.parse(process.argv[2]) as ProbeOptions
  probe(options).then(
    (result) => process.stdout.write(JSON.stringify(result) + '\n'),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
