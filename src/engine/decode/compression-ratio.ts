import {deflateSync} from 'node:zlib'

/**
 * Whisper's repetition measure: UTF-8 bytes of the text over the bytes zlib compresses them to
 * (openai-whisper compresses with zlib's default level; looping text compresses well, so a high
 * ratio means the decoder repeated itself). Empty text scores 0.
 */
export function compressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length === 0) return 0
  return bytes.length / deflateSync(bytes).length
}
