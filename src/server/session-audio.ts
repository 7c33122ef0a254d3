import {PassThrough} from 'node:stream'
import {openAudio, type AudioStream} from '../engine/audio/open-audio.js'
import {ChunkAssembler} from '../engine/audio/pcm.js'
import {isWhisperStreamError} from '../engine/errors.js'
import {clientMessage} from './error-wording.js'
import {ProtocolError, type StreamOptions} from './protocol.js'

/**
 * Where a session's audio frames become mono float PCM at the Streamer's rate. Raw PCM at that rate is cut into
 * chunks in process; anything else (webm, or PCM at another rate) goes through a per-session ffmpeg.
 */
export interface SessionAudio {
  /** One frame's bytes; the PCM they complete goes to the sink now or, through a decoder, soon. */
  write(bytes: Buffer): void
  /** Hands on what the bytes so far make: the PCM path's last partial chunk (a decoder keeps what is inside it). */
  flush(): void
  /** No more bytes: resolves once the last PCM has gone to the sink. */
  end(): Promise<void>
  /** Stops at once (the session closed). Idempotent. */
  close(): void
}

export interface SessionAudioOptions {
  /** The Streamer's rate: what the sink receives. */
  sampleRate: number
  ffmpegPath?: string | undefined
  /** Bytes waiting for the decoder beyond which the client is told `overloaded`. */
  maxPendingBytes: number
  /** Receives each PCM chunk (valid only during the call). May throw (e.g. overloaded): the error goes to onError. */
  sink: (pcm: Float32Array) => void
  /** A failure of the decoder, reported once, from outside any call of this object. */
  onError: (error: unknown) => void
}

export function openSessionAudio(stream: Pick<StreamOptions, 'encoding' | 'sample_rate'>, options: SessionAudioOptions): SessionAudio {
  const {encoding, sample_rate: rate} = stream
  if (encoding !== 'webm' && rate === options.sampleRate) return new PcmAudio(encoding, options)
  return new DecodedAudio(stream, options)
}

/** 100 ms chunks: small enough for prompt steps, large enough that per-chunk costs do not matter. */
const chunkSamples = (sampleRate: number): number => Math.round(sampleRate / 10)

class PcmAudio implements SessionAudio {
  private readonly assembler: ChunkAssembler

  constructor(
    encoding: 'f32le' | 's16le',
    private readonly options: SessionAudioOptions,
  ) {
    this.assembler = new ChunkAssembler(chunkSamples(options.sampleRate), encoding)
  }

  write(bytes: Buffer): void {
    this.assembler.push(bytes)
    for (let chunk = this.assembler.next(); chunk; chunk = this.assembler.next()) this.options.sink(chunk)
  }

  flush(): void {
    const tail = this.assembler.flush()
    if (tail) this.options.sink(tail)
  }

  end(): Promise<void> {
    this.flush()
    return Promise.resolve()
  }

  close(): void {}
}

class DecodedAudio implements SessionAudio {
  private readonly input = new PassThrough({highWaterMark: 256 * 1024})
  private readonly decoder: AudioStream
  private readonly pump: Promise<void>

  constructor(
    stream: Pick<StreamOptions, 'encoding' | 'sample_rate'>,
    private readonly options: SessionAudioOptions,
  ) {
    const raw = stream.encoding !== 'webm'
    this.decoder = openAudio({
      input: this.input,
      ffmpegPath: options.ffmpegPath,
      sampleRate: options.sampleRate,
      chunkSamples: chunkSamples(options.sampleRate),
      ...(raw ? {inputFormat: stream.encoding, inputOptions: ['-ar', String(stream.sample_rate), '-ac', '1']} : {}),
    })
    const decoder = this.decoder
    this.pump = (async () => {
      for await (const chunk of decoder) options.sink(chunk)
    })().catch((error: unknown) => {
      options.onError(isWhisperStreamError(error) ? new ProtocolError('undecodable-audio', clientMessage(error)) : error)
    })
  }

  write(bytes: Buffer): void {
    this.input.write(bytes)
    if (this.input.writableLength > this.options.maxPendingBytes) throw new ProtocolError('overloaded', 'the audio decoder cannot keep up')
  }

  flush(): void {}

  end(): Promise<void> {
    this.input.end()
    return this.pump
  }

  close(): void {
    this.decoder.close()
    this.input.destroy()
  }
}
