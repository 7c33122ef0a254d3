import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {decodeFlags, decodeOptions} from '../cli/decode-flags.js'
import {loadModelFromFlags, modelFlags} from '../cli/model-flags.js'
import {abortOnSignals} from '../cli/signals.js'
import {checkBindPolicy} from '../server/auth.js'
import {Engine} from '../engine/engine.js'
import {WhisperStreamError} from '../engine/errors.js'
import {defaultServeOptions, startServer} from '../server/http-server.js'

export default class Serve extends BaseCommand {
  static override summary = 'Serve the engine over WebSocket and HTTP, with a browser page; many sessions share one model.'
  static override description = `Endpoints: ws /v1/stream (live PCM or webm in, partial/final events out), POST /v1/audio/transcriptions
(OpenAI-compatible), GET /v1/models, GET /health, and a microphone page at /. The protocol is in docs/protocol.md.
Binds 127.0.0.1 by default; another --host needs --token (or --insecure). SIGINT/SIGTERM flush every session and exit 0.`

  static override examples = [
    '<%= config.bin %> serve --model base.en',
    '<%= config.bin %> serve --host 0.0.0.0 --port 9000 --token "$SECRET" --max-sessions 8',
  ]

  static override flags = {
    ...modelFlags,
    ...decodeFlags,
    host: Flags.string({summary: 'Address to bind.', default: defaultServeOptions.host}),
    port: Flags.integer({summary: 'TCP port (0: any free port).', default: defaultServeOptions.port, min: 0, max: 65_535}),
    token: Flags.string({summary: 'Require this token: Authorization: Bearer TOKEN, or ?token=TOKEN.', env: 'WHISPER_STREAM_TOKEN'}),
    insecure: Flags.boolean({summary: 'Allow a non-loopback --host without --token.'}),
    'allow-origin': Flags.string({summary: 'Browser origin allowed besides the server itself (repeatable; * for any).', multiple: true}),
    concurrency: Flags.integer({summary: 'Inferences run at once across all sessions.', default: defaultServeOptions.concurrency, min: 1}),
    'encoder-batch': Flags.integer({
      summary: 'Windows of concurrent inferences encoded in one pass, at most (needs --concurrency of as many).',
      description:
        'For machines where one window does not fill the cores: on 2 cores a batch costs the sum of its windows (docs/bench.md, serve), so the default is 1.',
      default: 1,
      min: 1,
    }),
    'max-sessions': Flags.integer({
      summary: 'Open streaming sessions; beyond it new ones get HTTP 503.',
      default: defaultServeOptions.maxSessions,
      min: 1,
    }),
    'max-frame-bytes': Flags.integer({
      summary: 'Largest WebSocket frame; bigger closes the session with 1009.',
      default: defaultServeOptions.maxPayload,
      min: 1024,
    }),
    'max-file-mb': Flags.integer({
      summary: 'Largest upload to /v1/audio/transcriptions, MiB.',
      default: defaultServeOptions.maxFileBytes >> 20,
      min: 1,
    }),
    'request-timeout': Flags.integer({
      summary: 'Seconds an HTTP request (headers and body) may take to arrive; slower ones get 408.',
      default: defaultServeOptions.requestTimeoutMs / 1000,
      min: 1,
    }),
    'idle-timeout': Flags.integer({
      summary: 'Seconds without a frame before a session is closed.',
      default: defaultServeOptions.limits.idleTimeoutMs / 1000,
      min: 1,
    }),
    ffmpeg: Flags.string({summary: 'Path of the ffmpeg binary (default: $WHISPER_STREAM_FFMPEG, PATH, then the bundled one).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    checkBindPolicy(flags.host, flags.token, flags.insecure)
    if (flags['encoder-batch'] > flags.concurrency) {
      throw new WhisperStreamError('usage', `--encoder-batch ${flags['encoder-batch']} exceeds --concurrency ${flags.concurrency}`, {
        hint: 'windows are batched only from inferences that run at once; raise --concurrency to at least the batch',
      })
    }
    const signals = abortOnSignals()
    try {
      const engine = Engine.from(await loadModelFromFlags(flags, signals.signal, {encoderBatch: flags['encoder-batch']}))
      const log = (line: string): void => void process.stderr.write(`${line}\n`)
      const server = await startServer({
        host: flags.host,
        port: flags.port,
        engine,
        token: flags.token,
        allowOrigins: flags['allow-origin'] ?? [],
        concurrency: flags.concurrency,
        maxSessions: flags['max-sessions'],
        maxPayload: flags['max-frame-bytes'],
        maxFileBytes: flags['max-file-mb'] << 20,
        requestTimeoutMs: flags['request-timeout'] * 1000,
        limits: {...defaultServeOptions.limits, idleTimeoutMs: flags['idle-timeout'] * 1000},
        ffmpegPath: flags.ffmpeg,
        decoding: {live: decodeOptions(flags, true), file: decodeOptions(flags, false)},
        log,
      })
      log(`listening on ${server.url}`)
      if (!signals.signal.aborted) await new Promise((resolve) => signals.signal.addEventListener('abort', resolve, {once: true}))
      log(`${signals.received() ?? 'signal'}: closing ${server.sessions} session(s)`)
      await server.close()
      await engine.release()
    } finally {
      signals.dispose()
    }
  }
}
