/**
 * Voice activity: speech probability per fixed-size frame of 16 kHz mono audio.
 * The Streamer feeds consecutive frames of exactly `frameSamples` samples, in stream order.
 */
export interface VoiceActivity {
  /** Samples per frame (Silero at 16 kHz: 512). */
  readonly frameSamples: number
  /** Speech probability 0..1 of this frame; the detector keeps its own state across calls. */
  process(frame: Float32Array): Promise<number>
}
