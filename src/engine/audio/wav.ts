import {writeFile} from 'node:fs/promises'

import {float32ToF32le, float32ToS16le} from './pcm.js'

/** How samples are stored in the file: 16-bit integer PCM, or 32-bit IEEE float. */
export type WavEncoding = 's16' | 'f32'

export interface WavOptions {
  /** Default 's16' (the format every tool reads). */
  encoding?: WavEncoding
}

const HEADER_BYTES = 44
const WAVE_FORMAT_PCM = 1
const WAVE_FORMAT_IEEE_FLOAT = 3

/** Encodes mono float samples as a complete RIFF/WAVE file (canonical 44-byte header). */
export function encodeWav(pcm: Float32Array, sampleRate: number, options: WavOptions = {}): Buffer {
  const encoding = options.encoding ?? 's16'
  const bytesPerSample = encoding === 'f32' ? 4 : 2
  const dataBytes = pcm.length * bytesPerSample
  const out = Buffer.alloc(HEADER_BYTES + dataBytes)
  out.write('RIFF', 0, 'ascii')
  out.writeUInt32LE(36 + dataBytes, 4)
  out.write('WAVE', 8, 'ascii')
  out.write('fmt ', 12, 'ascii')
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(encoding === 'f32' ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM, 20)
  out.writeUInt16LE(1, 22) // channels
  out.writeUInt32LE(sampleRate, 24)
  out.writeUInt32LE(sampleRate * bytesPerSample, 28) // byte rate
  out.writeUInt16LE(bytesPerSample, 32) // block align
  out.writeUInt16LE(bytesPerSample * 8, 34)
  out.write('data', 36, 'ascii')
  out.writeUInt32LE(dataBytes, 40)
  if (encoding === 'f32') float32ToF32le(pcm, out, HEADER_BYTES)
  else float32ToS16le(pcm, out, HEADER_BYTES)
  return out
}

/** Writes mono float samples to `path` as a WAV file (for tests and tools; the whole file is built in memory). */
export async function writeWav(path: string, pcm: Float32Array, sampleRate: number, options: WavOptions = {}): Promise<void> {
  await writeFile(path, encodeWav(pcm, sampleRate, options))
}
