import type {DecodingOptions} from '../engine/decode/window-transcriber.js'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {openAudio} from '../engine/audio/open-audio.js'
import type {Engine} from '../engine/engine.js'
import {isWhisperStreamError} from '../engine/errors.js'
import {clientMessage} from './error-wording.js'
import type {FinalEvent} from '../engine/events.js'
import {HttpError, internalError, sendError} from './http-error.js'
import type {ServerMetrics} from './metrics.js'
import type {FairScheduler} from './scheduler.js'
import {renderTranscription, type TranscriptionResult} from './transcription-render.js'
import {validateTranscriptionForm, type TranscriptionRequest} from './transcription-request.js'
import {readUploadForm} from './upload-form.js'

export interface TranscriptionContext {
  engine: Engine
  /** The id /v1/models lists; a `model` field naming anything else (except whisper-1) is refused. */
  modelId: string
  scheduler: FairScheduler
  /** Uploads over this many bytes are refused with 413 (spooled to a temp file as they arrive, never held whole). */
  maxFileBytes: number
  ffmpegPath?: string | undefined
  /** The server's decoding settings for files; the request's language goes on top. */
  decoding?: Partial<DecodingOptions> | undefined
  log: (line: string) => void
  metrics: ServerMetrics
}

/** Room for the form's other parts and boundaries beside the file, when judging a Content-Length. */
const FORM_OVERHEAD_BYTES = 1 << 20
const MAX_FIELD_BYTES = 64 * 1024
const MAX_PARTS = 20

/**
 * POST /v1/audio/transcriptions, compatible with OpenAI's. The whole form is read first (the file spooled to a
 * private temp file under the size cap), every field is checked, then the file is decoded and transcribed. Every
 * failure, planned or not, becomes an OpenAI-style error answer for this request alone.
 */
export function handleTranscription(req: IncomingMessage, res: ServerResponse, ctx: TranscriptionContext): void {
  serve(req, res, ctx).catch((error: unknown) => {
    // A client that left cancels its transcription: expected, and nobody is there to answer.
    if (res.destroyed || (isWhisperStreamError(error) && error.code === 'aborted' && !res.writable)) return
    sendError(req, res, error instanceof HttpError ? error : internalError(error, 'transcription', ctx.log))
  })
}

async function serve(req: IncomingMessage, res: ServerResponse, ctx: TranscriptionContext): Promise<void> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > ctx.maxFileBytes + FORM_OVERHEAD_BYTES) {
    return sendError(
      req,
      res,
      new HttpError(413, `the request is larger than the ${ctx.maxFileBytes}-byte file limit`, 'file', 'file_too_large'),
      // Read (and dropped) up to twice the limit, so that a client still sending reads the 413, not a reset.
      2 * ctx.maxFileBytes,
    )
  }
  const abort = new AbortController()
  // (The request's own 'close' fires once the body is read; the response's fires when the client leaves.)
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('client went away'))
  })
  const form = await readUploadForm(req, {maxFileBytes: ctx.maxFileBytes, maxFieldBytes: MAX_FIELD_BYTES, maxParts: MAX_PARTS})
  try {
    const request = validateTranscriptionForm(form.parts, form.file, ctx.modelId)
    const result = await transcribe(request, ctx, abort.signal)
    ctx.metrics.audio('file', result.duration)
    const {body, type} = renderTranscription(request.responseFormat, result, 'transcribe')
    if (res.destroyed) return
    res.writeHead(200, {'content-type': type}).end(body)
    ctx.log(`transcription: ${result.duration.toFixed(1)} s audio, ${result.segments.length} segments, ${request.responseFormat}`)
  } finally {
    await form.dispose()
  }
}

async function transcribe(request: TranscriptionRequest, ctx: TranscriptionContext, signal: AbortSignal): Promise<TranscriptionResult> {
  const {tokenizer, preprocessor} = ctx.engine.model
  const lane = ctx.scheduler.lane('transcription')
  const audio = openAudio({input: request.file.path, ffmpegPath: ctx.ffmpegPath, signal})
  try {
    let transcription
    try {
      transcription = ctx.engine.transcribeFile(audio, {
        decoding: {
          ...ctx.decoding,
          language: request.language,
          task: 'transcribe',
          ...(request.words ? {wordTimestamps: true} : {}),
          ...(request.temperatures ? {temperatures: request.temperatures} : {}),
        },
        gate: lane,
        initialPrompt: request.prompt ? tokenizer.encode(` ${request.prompt}`) : [],
        withTokens: true,
        withWords: request.words,
        vadFilter: request.vadFilter,
        signal,
      })
    } catch (error) {
      // The engine refuses options (a language this model lacks) before any audio is read.
      if (isWhisperStreamError(error) && error.code === 'usage') throw new HttpError(400, clientMessage(error), 'language')
      throw error
    }
    const segments: FinalEvent[] = []
    try {
      for await (const event of transcription) segments.push(event)
      await audio.done
    } catch (error) {
      if (
        isWhisperStreamError(error) &&
        (error.code === 'input-undecodable' || error.code === 'ffmpeg-failed' || error.code === 'input-missing')
      ) {
        throw new HttpError(400, clientMessage(error), 'file', 'invalid_audio')
      }
      throw error
    }
    return {segments, duration: audio.samples / preprocessor.samplingRate, language: transcription.language}
  } finally {
    lane.close()
    audio.close()
  }
}
