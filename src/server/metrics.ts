import {Counter, Gauge, Histogram, Registry} from 'prom-client'

/** Why an upgrade or request was turned away, as the `reason` label of refusals. */
export type RefusalReason = 'max-sessions' | 'shutting-down' | 'unauthorized' | 'origin' | 'bad-request' | 'not-found'

/**
 * The server's Prometheus metrics (GET /metrics), one registry per server so that several servers in one process
 * (tests) never share counts. Names and meanings are listed in docs/protocol.md.
 */
export class ServerMetrics {
  readonly registry = new Registry()
  readonly sessionsTotal: Counter
  readonly refusals: Counter<'reason'>
  readonly audioSeconds: Counter<'source'>
  readonly finals: Counter
  readonly httpRequests: Counter<'route' | 'status'>
  readonly inferenceSeconds: Histogram
  readonly queueWaitSeconds: Histogram
  private inferenceTotal = 0
  private audioTotal = 0

  /** `encoderBatches`: the model's batching counts, when it batches encoder passes (serve --encoder-batch). */
  constructor(openSessions: () => number, encoderBatches: () => {passes: number; windows: number} | undefined = () => undefined) {
    const registers = [this.registry]
    new Gauge({name: 'whisper_stream_sessions_open', help: 'WebSocket sessions open now.', registers, collect: setTo(openSessions)})
    this.sessionsTotal = new Counter({name: 'whisper_stream_sessions_total', help: 'WebSocket sessions opened since start.', registers})
    this.refusals = new Counter({
      name: 'whisper_stream_refusals_total',
      help: 'Sessions and requests turned away, by reason.',
      labelNames: ['reason'],
      registers,
    })
    this.audioSeconds = new Counter({
      name: 'whisper_stream_audio_seconds_total',
      help: 'Seconds of audio received, by source (stream: WebSocket sessions, file: transcription requests).',
      labelNames: ['source'],
      registers,
    })
    this.inferenceSeconds = new Histogram({
      name: 'whisper_stream_inference_step_seconds',
      help: 'Time one inference step (a streaming step or a file window) held the model.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    })
    this.queueWaitSeconds = new Histogram({
      name: 'whisper_stream_queue_wait_seconds',
      help: 'Time an inference step waited for its turn at the shared model.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    })
    new Gauge({
      name: 'whisper_stream_real_time_factor',
      help: 'Inference seconds per second of audio received since start (below 1: faster than real time).',
      registers,
      collect: setTo(() => (this.audioTotal > 0 ? this.inferenceTotal / this.audioTotal : 0)),
    })
    new Gauge({
      name: 'whisper_stream_encoder_windows_per_pass',
      help: 'Windows per encoder pass since start: above 1 when batched passes (--encoder-batch) found steps running at once.',
      registers,
      collect: setTo(() => {
        const counts = encoderBatches()
        return counts && counts.passes > 0 ? counts.windows / counts.passes : 1
      }),
    })
    this.finals = new Counter({name: 'whisper_stream_finals_total', help: 'Final events sent to sessions.', registers})
    this.httpRequests = new Counter({
      name: 'whisper_stream_http_requests_total',
      help: 'HTTP requests answered (WebSocket upgrades included: 101 or the refusal), by route and status.',
      labelNames: ['route', 'status'],
      registers,
    })
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident set size of the server process.',
      registers,
      collect: setTo(() => process.memoryUsage.rss()),
    })
  }

  audio(source: 'stream' | 'file', seconds: number): void {
    this.audioTotal += seconds
    this.audioSeconds.inc({source}, seconds)
  }

  /** One inference finished: how long it waited for the model and how long it held it. */
  inference(waitMs: number, busyMs: number): void {
    this.inferenceTotal += busyMs / 1000
    this.queueWaitSeconds.observe(waitMs / 1000)
    this.inferenceSeconds.observe(busyMs / 1000)
  }

  request(route: string, status: number): void {
    this.httpRequests.inc({route, status: String(status)})
  }
}

function setTo(read: () => number): (this: Gauge) => void {
  return function (this: Gauge) {
    this.set(read())
  }
}
