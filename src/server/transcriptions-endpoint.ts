import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Readable} from 'node:stream'
import busboy from 'busboy'
import {openAudio, type AudioStream} from '../engine/audio/decode.js'
import type {Engine, FileTranscription} from '../engine/engine.js'
import {isWhisperStreamError} from '../engine/errors.js'
import type {FinalEvent} from '../engine/events.js'
import {createFormatter} from '../output/formats.js'
import type {FairScheduler} from './scheduler.js'

export const responseFormats = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const
export type ResponseFormat = (typeof responseFormats)[number]

export interface TranscriptionContext {
  engine: Engine
  /** The id /v1/models lists; a `model` field naming anything else (except whisper-1) is refused. */
  modelId: string
  scheduler: FairScheduler
  /** Uploads over this many bytes are refused with 413 (the bytes stream through ffmpeg; they are never held whole). */
  maxFileBytes: number
  ffmpegPath?: string | undefined
  log: (line: string) => void
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly code?: string,
  ) {
    super(message)
  }
}

/** OpenAI's error shape. */
function sendError(res: ServerResponse, error: RequestError): void {
  if (res.headersSent) return void res.destroy()
  const type = error.status >= 500 ? 'server_error' : 'invalid_request_error'
  const body = JSON.stringify({error: {message: error.message, type, param: error.param ?? null, code: error.code ?? null}})
  res.writeHead(error.status, {'content-type': 'application/json', connection: 'close'}).end(body)
}

interface Job {
  segments: FinalEvent[]
  duration: number
  language: string | undefined
}

/**
 * POST /v1/audio/transcriptions, compatible with OpenAI's: multipart `file` (streamed to ffmpeg as it
 * uploads), `model`, `response_format`, `language`, `prompt` (plus `temperature` and others, accepted
 * and ignored). Decoding options must come before `file` in the form (OpenAI's SDKs and curl -F in
 * order do that); `response_format` may come anywhere.
 */
export function handleTranscription(req: IncomingMessage, res: ServerResponse, ctx: TranscriptionContext): void {
  const abort = new AbortController()
  // (The request's own 'close' fires once the body is read; the response's fires when the client leaves.)
  res.on('close', () => {
    if (!res.writableFinished) abort.abort(new Error('client went away'))
  })
  let parser: busboy.Busboy
  try {
    parser = busboy({headers: req.headers, limits: {files: 1, fileSize: ctx.maxFileBytes, fields: 20, fieldSize: 64 * 1024, parts: 40}})
  } catch {
    return sendError(res, new RequestError(400, 'expected a multipart/form-data body with a `file` part'))
  }
  const fields = new Map<string, string>()
  let job: Promise<Job> | undefined
  let failure: RequestError | undefined
  let upload: Readable | undefined
  const fail = (error: RequestError): void => {
    failure ??= error
    abort.abort(error)
    upload?.resume() // discard the rest, so the form parser reaches its end and the answer goes out
  }

  parser.on('field', (name, value) => {
    if (job && (name === 'language' || name === 'prompt')) {
      fail(new RequestError(400, `the \`${name}\` field must come before \`file\` in the form`, name))
    }
    fields.set(name, value)
  })
  parser.on('file', (name, stream) => {
    if (name !== 'file' || job || failure) return void stream.resume()
    upload = stream
    try {
      job = transcribe(stream, fields, ctx, abort.signal)
      // Whatever ends decoding (done, failed, aborted), the parser must still read the body to its end.
      job.catch(() => {}).finally(() => stream.resume())
    } catch (error) {
      fail(error instanceof RequestError ? error : new RequestError(500, String(error)))
      stream.resume()
    }
    stream.on('limit', () => fail(new RequestError(413, `the file is larger than ${ctx.maxFileBytes} bytes`, 'file')))
  })
  parser.on('error', (error: Error) => fail(new RequestError(400, `malformed multipart body: ${error.message}`)))
  parser.on('partsLimit', () => fail(new RequestError(400, 'too many form parts')))
  parser.on('fieldsLimit', () => fail(new RequestError(400, 'too many form fields')))
  // TODO(issue 11): respond() can reject, and a rejection here takes serve down; the endpoint rewrite handles it.
  // eslint-disable-next-line @typescript-eslint/no-floating-promises
  parser.on('close', () => void respond())
  req.pipe(parser)

  const respond = async (): Promise<void> => {
    if (!job && !failure) return sendError(res, new RequestError(400, 'the form has no `file` part', 'file'))
    let result: Job | undefined
    try {
      result = await job
    } catch (error) {
      if (!failure) {
        if (
          isWhisperStreamError(error) &&
          (error.code === 'input-undecodable' || error.code === 'ffmpeg-failed' || error.code === 'usage')
        ) {
          failure = new RequestError(400, error.line, 'file', 'invalid_audio')
        } else failure = new RequestError(500, isWhisperStreamError(error) ? error.line : String(error))
      }
    }
    if (failure || !result) return sendError(res, failure ?? new RequestError(500, 'no result'))
    const format = (fields.get('response_format') ?? 'json') as ResponseFormat
    const {body, type} = render(format, result, 'transcribe')
    res.writeHead(200, {'content-type': type}).end(body)
    ctx.log(`transcription: ${result.duration.toFixed(1)} s audio, ${result.segments.length} segments, ${format}`)
  }
}

function transcribe(file: Readable, fields: Map<string, string>, ctx: TranscriptionContext, signal: AbortSignal): Promise<Job> {
  const model = fields.get('model')
  if (model !== undefined && model !== '' && model !== ctx.modelId && model !== 'whisper-1') {
    throw new RequestError(400, `this server serves model "${ctx.modelId}", not "${model}"`, 'model', 'model_not_found')
  }
  const format = fields.get('response_format') ?? 'json'
  if (!(responseFormats as readonly string[]).includes(format)) {
    throw new RequestError(400, `response_format must be one of ${responseFormats.join(', ')}`, 'response_format')
  }
  const language = fields.get('language') || undefined
  if (language !== undefined && !/^[a-z]{2,3}$/i.test(language))
    throw new RequestError(400, `language must be a code like en, got ${language}`, 'language')
  const {tokenizer, preprocessor} = ctx.engine.model
  const lane = ctx.scheduler.lane('transcription')
  const prompt = fields.get('prompt')?.trim()
  let audio: AudioStream | undefined
  let transcription: FileTranscription
  try {
    audio = openAudio({input: file, ffmpegPath: ctx.ffmpegPath, signal})
    transcription = ctx.engine.transcribeFile(audio, {
      decoding: {language: language?.toLowerCase(), task: 'transcribe'},
      gate: lane,
      initialPrompt: prompt ? tokenizer.encode(` ${prompt}`) : [],
      withTokens: true,
      signal,
    })
  } catch (error) {
    lane.close()
    audio?.close()
    throw new RequestError(400, isWhisperStreamError(error) ? error.line : String(error), 'language')
  }
  const source = audio
  return (async () => {
    try {
      const segments: FinalEvent[] = []
      for await (const event of transcription) segments.push(event)
      await source.done
      return {segments, duration: source.samples / preprocessor.samplingRate, language: transcription.language}
    } finally {
      lane.close()
      source.close()
    }
  })()
}

function render(format: ResponseFormat, job: Job, task: string): {body: string; type: string} {
  const text = job.segments
    .map((s) => s.text.trim())
    .filter(Boolean)
    .join(' ')
  switch (format) {
    case 'json':
      return {body: JSON.stringify({text}), type: 'application/json'}
    case 'verbose_json':
      return {
        type: 'application/json',
        body: JSON.stringify({
          task,
          language: job.language ?? 'en',
          duration: Math.round(job.duration * 1000) / 1000,
          text,
          segments: job.segments.map((s, id) => ({
            id,
            seek: Math.floor(s.start * 100),
            start: s.start,
            end: s.end,
            text: s.text,
            tokens: s.tokens ?? [],
            temperature: 0,
          })),
        }),
      }
    case 'text':
      return {body: `${text}\n`, type: 'text/plain; charset=utf-8'}
    case 'srt':
    case 'vtt': {
      const formatter = createFormatter(format, {partials: false})
      const body = formatter.header() + job.segments.map((s) => formatter.event(s)).join('') + formatter.footer()
      return {body, type: format === 'srt' ? 'application/x-subrip; charset=utf-8' : 'text/vtt; charset=utf-8'}
    }
  }
}
