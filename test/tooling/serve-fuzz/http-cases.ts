// The seeded misbehaving HTTP clients, one body per case kind, each stating the status docs/protocol.md documents
// for what it sends (and, for a 400, the `param` the error names). Over 300 lines because the bodies stay side by
// side in one table, where a reader compares what each kind sends and expects.
import {METHODS} from 'node:http'
import {multipart, rawRequest, wavOf, type FormPart, type RawResponse} from './http-client.js'
import {finishedCase, summarizeCases} from './report.js'
import {chance, mulberry32, pick, randBytes, randInt, type Rng} from './rng.js'

export const HTTP_CASE_KINDS = [
  'form-order',
  'bad-field',
  'file-missing',
  'multipart-broken',
  'content-type',
  'chunked',
  'oversized',
  'huge-headers',
  'slow-body',
  'method-path',
  'concurrent-uploads',
  'drop-mid-upload',
] as const
export type HttpCaseKind = (typeof HTTP_CASE_KINDS)[number]

export interface HttpTarget {
  /** http://127.0.0.1:PORT of a server started with --max-file-mb and --request-timeout as below, no token. */
  url: string
  maxFileBytes: number
  requestTimeoutMs: number
  /** Bound on one request's answer. */
  caseTimeoutMs: number
  /** Speech (16 kHz mono float32) that valid uploads take slices of: a random-weight model on tones may loop for long. */
  speech: Float32Array
}

export interface HttpCaseResult {
  kind: HttpCaseKind
  seed: number
  /** http:STATUS, http:400/PARAM ('-' when none), dropped-by-client, timeout, health:STATUS (the server stopped answering). */
  outcome: string
  expected: string[]
  ok: boolean
  note: string
  ms: number
}

interface Ctx {
  rng: Rng
  target: HttpTarget
  notes: string[]
  expected: string[]
}

const PATH = '/v1/audio/transcriptions'
const FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const
/** The server's routes and their methods, as documented: the oracle for method and path cases. */
const ROUTES: Record<string, string[]> = {
  '/': ['GET'],
  '/index.html': ['GET'],
  '/health': ['GET'],
  '/metrics': ['GET'],
  '/v1/models': ['GET'],
  '/v1/audio/transcriptions': ['POST'],
  '/v1/stream': ['GET'],
}

const ok = 'http:200'
const bad = (param: string | null): string => `http:400/${param ?? '-'}`

/** The outcome of an answer: its status, the `param` of a 400, and whether a 200 has the body its format promises. */
function outcomeOf(res: RawResponse, format?: string): string {
  if (res.timedOut) return 'timeout'
  if (res.status === 0) return 'no-answer'
  if (res.status === 400) {
    try {
      const body = JSON.parse(res.body) as {error?: {param?: string | null}}
      return bad(body.error?.param ?? null)
    } catch {
      return bad(null) // Node's own 400 for what its HTTP parser refuses has no JSON body
    }
  }
  if (res.status === 200 && format !== undefined) {
    const type = res.headers['content-type'] ?? ''
    if (format === 'json' || format === 'verbose_json') {
      try {
        if (typeof (JSON.parse(res.body) as {text?: unknown}).text !== 'string') return 'bad-body:no text'
      } catch {
        return 'bad-body:not json'
      }
    } else if (format === 'text' && !res.body.endsWith('\n')) return 'bad-body:text'
    else if (format === 'vtt' && !res.body.startsWith('WEBVTT')) return 'bad-body:vtt'
    else if (format === 'srt' && !/subrip/.test(type)) return 'bad-body:srt type'
  }
  return `http:${res.status}`
}

const head = (ctx: Ctx, method: string, path: string, headers: Record<string, string | number>): string =>
  [
    `${method} ${path} HTTP/1.1`,
    `Host: ${new URL(ctx.target.url).host}`,
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n')

/** POSTs a form with Content-Length; `format` checks a 200's body. */
async function postForm(ctx: Ctx, parts: FormPart[], format?: string, boundary = `b${randInt(ctx.rng, 1e6, 1e9)}`): Promise<string> {
  const body = multipart(parts, boundary)
  const res = await rawRequest(ctx.target.url, {
    head: head(ctx, 'POST', PATH, {'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': body.length}),
    body,
    pieceBytes: pick(ctx.rng, [body.length, 64 * 1024, 1000]),
    timeoutMs: ctx.target.caseTimeoutMs,
  })
  return outcomeOf(res, format)
}

/** A WAV of 1-3 s of the target's speech, from a random place. */
function wav(ctx: Ctx): Buffer {
  const {speech} = ctx.target
  const length = Math.min(speech.length, randInt(ctx.rng, 16_000, 48_000))
  const start = randInt(ctx.rng, 0, speech.length - length)
  return wavOf(speech.subarray(start, start + length))
}
const filePart = (ctx: Ctx): FormPart => ({name: 'file', value: wav(ctx), filename: pick(ctx.rng, ['talk.wav', 'a', 'x.mp3', 'ü.wav'])})

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randInt(rng, 0, i)
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

/** Valid values for every optional field, some of them. */
function validFields(rng: Rng): FormPart[] {
  const all: FormPart[] = [
    {name: 'model', value: pick(rng, ['whisper-1'])},
    {name: 'response_format', value: pick(rng, FORMATS)},
    {name: 'language', value: pick(rng, ['en', '', 'EN'])},
    {name: 'prompt', value: pick(rng, ['', 'Names: Ada, Grace.', 'x'.repeat(randInt(rng, 1, 4096))])},
    {name: 'temperature', value: pick(rng, ['0', '0.2', '1', '0.0'])},
    {name: 'timestamp_granularities[]', value: pick(rng, ['segment', 'word'])},
    {name: 'stream', value: 'false'},
  ]
  return all.filter(() => chance(rng, 0.5))
}

const formatOf = (parts: FormPart[]): string => {
  const value = parts.find((p) => p.name === 'response_format')?.value
  return typeof value === 'string' ? value : 'json'
}

type Body = (ctx: Ctx) => Promise<string>

const bodies: Record<HttpCaseKind, Body> = {
  // Every field order is as good as any other.
  async 'form-order'(ctx) {
    const parts = shuffle(ctx.rng, [filePart(ctx), ...validFields(ctx.rng)])
    ctx.notes.push(parts.map((p) => p.name).join(','))
    ctx.expected.push(ok)
    return postForm(ctx, parts, formatOf(parts))
  },

  // One field bogus, empty, huge or given twice, anywhere in the form: 400 naming it (or 200 where the value is fine).
  async 'bad-field'(ctx) {
    const {rng} = ctx
    const field = pick(rng, [
      'response_format',
      'language',
      'prompt',
      'temperature',
      'model',
      'timestamp_granularities[]',
      'stream',
      'unknown',
    ] as const)
    const flavour = pick(rng, ['bogus', 'empty', 'huge', 'duplicate'] as const)
    const others = validFields(rng).filter((p) => p.name !== field)
    let extra: FormPart[]
    let expected = bad(field)
    if (field === 'unknown') {
      const name = pick(rng, ['colour', 'files', 'response-format', 'FILE', 'timestamp_granularities', 'model '])
      extra = [{name, value: flavour === 'huge' ? 'v'.repeat(70_000) : flavour === 'empty' ? '' : 'x'}]
      if (flavour === 'duplicate') extra.push({name, value: 'y'})
      expected = bad(name)
    } else if (flavour === 'duplicate') {
      extra = [
        {name: field, value: 'x'},
        {name: field, value: 'y'},
      ]
    } else if (flavour === 'huge') {
      extra = [{name: field, value: 'a'.repeat(pick(rng, [5000, 70_000, 200_000]))}]
      if (field === 'prompt' && (extra[0].value as string).length <= 4096) expected = ok
    } else if (flavour === 'empty') {
      extra = [{name: field, value: ''}]
      if (field === 'language' || field === 'prompt') expected = ok // empty means none
    } else {
      const bogus: Record<string, string[]> = {
        response_format: ['docx', 'JSON', 'json ', 'srt\n'],
        language: ['klingon', 'e1', 'english', 'en-US'],
        prompt: ['any text is a prompt'],
        temperature: ['hot', '-1', '2', 'NaN', '1e3', '0x1', 'Infinity', '0,5'],
        model: ['large-v3', 'whisper-2', '../model'],
        'timestamp_granularities[]': ['words', 'segments'],
        stream: ['true', '1', 'yes'],
      }
      extra = [{name: field, value: pick(rng, bogus[field])}]
      if (field === 'prompt') expected = ok
    }
    const parts = shuffle(rng, [filePart(ctx), ...others, ...extra])
    ctx.notes.push(`${field} ${flavour}: ${parts.map((p) => p.name).join(',')}`)
    ctx.expected.push(expected)
    return postForm(ctx, parts, expected === ok ? formatOf(parts) : undefined)
  },

  async 'file-missing'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['none', 'empty', 'text-field', 'other-name', 'two-files'] as const)
    ctx.notes.push(variant)
    const fields = validFields(rng)
    const parts: Record<typeof variant, FormPart[]> = {
      none: fields,
      empty: [...fields, {name: 'file', value: Buffer.alloc(0), filename: 'empty.wav'}],
      'text-field': [...fields, {name: 'file', value: 'talk.wav'}],
      'other-name': [...fields, {name: 'audio', value: wav(ctx), filename: 'a.wav'}],
      'two-files': [...fields, filePart(ctx), filePart(ctx)],
    }
    ctx.expected.push(bad(variant === 'other-name' ? 'audio' : 'file'))
    return postForm(ctx, shuffle(rng, parts[variant]))
  },

  // Multipart the parser cannot read: 400 with no param.
  async 'multipart-broken'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, [
      'boundary-mismatch',
      'no-final-boundary',
      'header-only',
      'garbage',
      'bad-part-header',
      'cut-in-headers',
    ] as const)
    ctx.notes.push(variant)
    const good = multipart([filePart(ctx), ...validFields(rng)], 'inner')
    const bodyOf: Record<typeof variant, () => Buffer> = {
      'boundary-mismatch': () => good,
      'no-final-boundary': () => multipart([filePart(ctx)], 'outer', false),
      'header-only': () => Buffer.from('--outer\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'),
      garbage: () => randBytes(rng, randInt(rng, 1, 5000)),
      'bad-part-header': () => Buffer.from(`--outer\r\n${'X'.repeat(randInt(rng, 1, 20_000))}\r\n\r\nabc\r\n--outer--\r\n`),
      'cut-in-headers': () => Buffer.from('--outer\r\nContent-Dispos'),
    }
    const body = bodyOf[variant]()
    ctx.expected.push(bad(null))
    const res = await rawRequest(ctx.target.url, {
      head: head(ctx, 'POST', PATH, {'Content-Type': 'multipart/form-data; boundary=outer', 'Content-Length': body.length}),
      body,
      timeoutMs: ctx.target.caseTimeoutMs,
    })
    return outcomeOf(res)
  },

  async 'content-type'(ctx) {
    const {rng} = ctx
    const body = multipart([filePart(ctx)], 'b')
    const type = pick(rng, [
      'text/plain',
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/mixed; boundary=b',
      '',
      'multipart/form-data',
    ])
    ctx.notes.push(type || '(none)')
    ctx.expected.push(type === 'multipart/form-data' ? bad(null) : 'http:415')
    const headers: Record<string, string | number> = {'Content-Length': body.length}
    if (type) headers['Content-Type'] = type
    return outcomeOf(await rawRequest(ctx.target.url, {head: head(ctx, 'POST', PATH, headers), body, timeoutMs: ctx.target.caseTimeoutMs}))
  },

  // Transfer-Encoding: chunked, well formed or not.
  async chunked(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['valid', 'bad-size', 'no-crlf', 'short-chunk', 'with-content-length'] as const)
    ctx.notes.push(variant)
    const form = multipart([filePart(ctx)], 'b')
    const chunks: Buffer[] = []
    for (let at = 0; at < form.length;) {
      const n = Math.min(form.length - at, randInt(rng, 1, 20_000))
      chunks.push(Buffer.from(`${n.toString(16)}\r\n`), form.subarray(at, at + n), Buffer.from('\r\n'))
      at += n
    }
    let body = Buffer.concat([...chunks, Buffer.from('0\r\n\r\n')])
    const headers: Record<string, string | number> = {'Content-Type': 'multipart/form-data; boundary=b', 'Transfer-Encoding': 'chunked'}
    if (variant === 'valid') ctx.expected.push(ok)
    else if (variant === 'bad-size') {
      body = Buffer.concat([Buffer.from('zz\r\n'), body])
      ctx.expected.push(bad(null))
    } else if (variant === 'no-crlf') {
      body = Buffer.from(`5\r\nabcdeXX3\r\nabc\r\n0\r\n\r\n`)
      ctx.expected.push(bad(null))
    } else if (variant === 'short-chunk') {
      // Announces more than it sends, then waits: the request timeout ends it.
      body = Buffer.from('ffff\r\nabc')
      ctx.expected.push('http:408')
    } else {
      headers['Content-Length'] = body.length
      ctx.expected.push(bad(null))
    }
    return outcomeOf(await rawRequest(ctx.target.url, {head: head(ctx, 'POST', PATH, headers), body, timeoutMs: ctx.target.caseTimeoutMs}))
  },

  // Over --max-file-mb: 413, whether Content-Length tells it up front or the parser finds it.
  async oversized(ctx) {
    const {rng} = ctx
    const over = ctx.target.maxFileBytes + randInt(rng, 1, 512 * 1024)
    const declared = chance(rng, 0.5)
    ctx.notes.push(`${over} bytes, ${declared ? 'Content-Length' : 'chunked'}`)
    const form = multipart([{name: 'file', value: Buffer.alloc(over, 7), filename: 'big.wav'}, ...validFields(rng)], 'b')
    // 413 once the limit is crossed; 408 when the request timeout passes first (a loaded machine, a short timeout).
    ctx.expected.push('http:413', 'http:408')
    const headers: Record<string, string | number> = {'Content-Type': 'multipart/form-data; boundary=b'}
    let body = form
    if (declared) headers['Content-Length'] = form.length
    else {
      headers['Transfer-Encoding'] = 'chunked'
      body = Buffer.concat([Buffer.from(`${form.length.toString(16)}\r\n`), form, Buffer.from('\r\n0\r\n\r\n')])
    }
    return outcomeOf(
      await rawRequest(ctx.target.url, {
        head: head(ctx, 'POST', PATH, headers),
        body,
        pieceBytes: 256 * 1024,
        timeoutMs: ctx.target.caseTimeoutMs,
      }),
    )
  },

  async 'huge-headers'(ctx) {
    const {rng} = ctx
    const size = randInt(rng, 17 * 1024, 64 * 1024)
    ctx.notes.push(`${size} bytes of headers`)
    ctx.expected.push('http:431')
    const path = pick(rng, ['/health', PATH, '/v1/stream'])
    return outcomeOf(
      await rawRequest(ctx.target.url, {head: head(ctx, 'GET', path, {'X-Filler': 'f'.repeat(size)}), timeoutMs: ctx.target.caseTimeoutMs}),
    )
  },

  // A client that trickles: past --request-timeout it gets 408.
  async 'slow-body'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['body', 'headers'] as const)
    ctx.notes.push(variant)
    ctx.expected.push('http:408')
    const form = multipart([filePart(ctx)], 'b')
    const timeoutMs = ctx.target.requestTimeoutMs * 3 + 5000
    if (variant === 'body') {
      return outcomeOf(
        await rawRequest(ctx.target.url, {
          head: head(ctx, 'POST', PATH, {'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': form.length}),
          body: form,
          pieceBytes: 1,
          pauseMs: 1000,
          timeoutMs,
        }),
      )
    }
    // The headers themselves, a byte every 200 ms, never finished.
    const text = Buffer.from(`${head(ctx, 'GET', '/health', {})}\r\nX-Slow: ${'s'.repeat(200)}`)
    return outcomeOf(await rawRequest(ctx.target.url, {head: '', body: text, pieceBytes: 1, pauseMs: 200, timeoutMs}))
  },

  // Methods and paths: 405 with Allow for a known path, 204 for OPTIONS, 404 for the unknown, 431 for a URL over 16 KiB.
  async 'method-path'(ctx) {
    const {rng} = ctx
    const variant = pick(rng, ['method', 'options', 'preflight', 'unknown', 'trick', 'long', 'no-upgrade'] as const)
    const known = Object.keys(ROUTES)
    let method = 'GET'
    let path: string
    const headers: Record<string, string> = {}
    if (variant === 'method') {
      path = pick(rng, known)
      method = pick(rng, ['PUT', 'DELETE', 'PATCH', 'HEAD', 'TRACE', 'BREW', ...(path === PATH ? ['GET'] : ['POST'])])
    } else if (variant === 'options' || variant === 'preflight') {
      method = 'OPTIONS'
      path = pick(rng, known)
      if (variant === 'preflight') {
        headers['Origin'] = pick(rng, ['http://evil.example', ctx.target.url])
        headers['Access-Control-Request-Method'] = 'POST'
      }
    } else if (variant === 'unknown') path = pick(rng, ['/nope', '/v2/models', '/v1/audio', `${PATH}/x`, '/index.htm', '/v1/', '/metrics/'])
    else if (variant === 'trick')
      path = pick(rng, [
        '/v1/../health',
        '/%2e%2e/health',
        '/v1/%2e%2e/%2e%2e/etc/passwd',
        '/./health',
        '//health',
        '/health?x=../..',
        '/health%00',
        '//[',
        '/%zz',
      ])
    else if (variant === 'long') path = `/${'a'.repeat(pick(rng, [1000, 8000, 20_000]))}`
    else path = '/v1/stream'
    ctx.notes.push(`${method} ${path.slice(0, 60)}${path.length > 60 ? '…' : ''}`)
    ctx.expected.push(expectedFor(method, path, headers, ctx.target.url))
    return outcomeOf(await rawRequest(ctx.target.url, {head: head(ctx, method, path, headers), timeoutMs: ctx.target.caseTimeoutMs}))
  },

  async 'concurrent-uploads'(ctx) {
    const {rng} = ctx
    const n = randInt(rng, 2, 3)
    ctx.notes.push(`${n} at once`)
    ctx.expected.push(ok)
    const outcomes = await Promise.all(
      Array.from({length: n}, () => {
        const parts = shuffle(rng, [filePart(ctx), ...validFields(rng)])
        return postForm(ctx, parts, formatOf(parts))
      }),
    )
    return outcomes.find((o) => o !== ok) ?? ok
  },

  // The client leaves mid-upload: no answer to read; the server must drop the request and its temp file.
  async 'drop-mid-upload'(ctx) {
    const {rng} = ctx
    const form = multipart([filePart(ctx), ...validFields(rng)], 'b')
    const dropAfter = randInt(rng, 0, form.length - 1)
    ctx.notes.push(`dropped after ${dropAfter} of ${form.length} bytes`)
    ctx.expected.push('dropped-by-client')
    await rawRequest(ctx.target.url, {
      head: head(ctx, 'POST', PATH, {'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': form.length}),
      body: form,
      dropAfter,
      timeoutMs: ctx.target.caseTimeoutMs,
    })
    return 'dropped-by-client'
  },
}

/** The documented answer to a request with no body, from the route table and the URL standard (as the server parses targets). */
function expectedFor(method: string, path: string, headers: Record<string, string>, serverUrl: string): string {
  if (path.length > 16 * 1024) return 'http:431'
  if (!METHODS.includes(method)) return bad(null) // Node's HTTP parser refuses a method it does not know
  let pathname: string
  try {
    pathname = new URL(path, 'http://localhost').pathname
  } catch {
    return bad(null)
  }
  const methods = ROUTES[pathname]
  if (!methods) return 'http:404'
  const guarded = pathname.startsWith('/v1/') || pathname === '/metrics'
  const origin = headers['Origin']
  if (guarded && origin !== undefined && new URL(origin).host !== new URL(serverUrl).host) return 'http:403'
  if (method === 'OPTIONS') return 'http:204'
  if (!methods.includes(method)) return 'http:405'
  if (pathname === '/v1/stream') return 'http:426'
  return 'http:200'
}

/** Runs one seeded case, then checks /health still answers; bounded by the target's timeouts. */
export async function runHttpCase(kind: HttpCaseKind, seed: number, target: HttpTarget): Promise<HttpCaseResult> {
  const ctx: Ctx = {rng: mulberry32(seed), target, notes: [], expected: []}
  const started = performance.now()
  let outcome: string
  try {
    outcome = await bodies[kind](ctx)
  } catch (error) {
    outcome = `threw:${error instanceof Error ? error.message : String(error)}`
  }
  const health = await fetch(`${target.url}/health`, {signal: AbortSignal.timeout(10_000)}).then(
    (res) => res.status,
    () => 0,
  )
  if (health !== 200) outcome = `health:${health} after ${outcome}`
  return finishedCase(kind, seed, outcome, ctx, started)
}

export const summarizeHttp = (results: HttpCaseResult[]): string[] => summarizeCases(HTTP_CASE_KINDS, results)
