// What docs/protocol.md says each WebSocket case must end in: the case kinds, the outcome vocabulary, the protocol
// invariants of a session's messages, and the outcome of one raw frame.
import type {FrameSpec, RawWs, ServerMessage} from './raw-ws.js'

export const CASE_KINDS = [
  'binary-before-start',
  'binary-after-start',
  'text-garbage',
  'json-not-object',
  'unknown-type',
  'bad-option',
  'start-late',
  'http-refusal',
  'invalid-utf8',
  'oversized',
  'random-frame',
  'tiny-flood',
  'message-flood',
  'flush-cycles',
  'stall',
  'connect-drop',
  'not-reading',
] as const
export type CaseKind = (typeof CASE_KINDS)[number]

export interface FuzzTarget {
  url: string
  /** The server's --max-frame-bytes. */
  maxFrameBytes: number
  /** The server's --idle-timeout, ms. */
  idleTimeoutMs: number
  /** Bound on one case, ms. */
  caseTimeoutMs: number
}

export interface CaseResult {
  kind: CaseKind
  seed: number
  /** done/1000, error:CODE/CLOSE, close:CODE (closed by ws, no error message), http:STATUS, dropped, dropped-by-client, timeout. */
  outcome: string
  expected: string[]
  ok: boolean
  /** What was sent, and any invariant that failed. */
  note: string
  ms: number
}

export const DONE = 'done/1000'
export const INVALID = 'error:invalid-message/1007'
export const UNSUPPORTED = 'error:unsupported-message/1003'
export const RATE = 16_000

/** What a text frame leads to, by docs/protocol.md: 'control' for a well-formed start/flush/end. */
export function textOutcome(text: string): string {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return INVALID
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return INVALID
  const type = (message as Record<string, unknown>)['type']
  if (type === 'start' || type === 'flush' || type === 'end') return 'control'
  return UNSUPPORTED
}

/** The outcome of a finished raw session, in the vocabulary of CaseResult.outcome. */
export function outcomeOf(ws: RawWs): string {
  if (ws.closeCode === undefined) return 'dropped'
  const last = ws.messages.at(-1)
  if (last?.type === 'error') return `error:${String(last['code'])}/${ws.closeCode}`
  if (last?.type === 'done') return `done/${ws.closeCode}`
  return `close:${ws.closeCode}`
}

/** A session's messages obey the protocol: ready first, final ids 0..n-1, start <= end, done.finals = n. */
export function invariants(messages: ServerMessage[], audioSamples?: number): string[] {
  const problems: string[] = []
  const done = messages.find((m) => m.type === 'done')
  if (messages.length > 0 && messages[0].type !== 'ready' && messages[0].type !== 'error')
    problems.push(`first message ${messages[0].type}`)
  const finals = messages.filter((m) => m.type === 'final')
  finals.forEach((f, i) => {
    if (f['id'] !== i) problems.push(`final ${i} has id ${String(f['id'])}`)
    if (!((f['end'] as number) >= (f['start'] as number))) problems.push(`final ${i} ends before it starts`)
  })
  if (done && done['finals'] !== finals.length) problems.push(`done.finals ${String(done['finals'])} but ${finals.length} finals`)
  if (done && audioSamples !== undefined && Math.abs((done['audio'] as number) - audioSamples / RATE) > 0.0006) {
    problems.push(`done.audio ${String(done['audio'])} s, sent ${audioSamples / RATE} s`)
  }
  return problems
}

const isValidUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', {fatal: true}).decode(bytes)
    return true
  } catch {
    return false
  }
}
const validCloseCode = (code: number): boolean =>
  (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999)

/**
 * What one frame followed by a well-formed `end` leads to (RFC 6455 as ws 8 enforces it on a server without
 * permessage-deflate): 1002 for a protocol violation, 1009 over --max-frame-bytes, 1007 for text or a close
 * reason that is not UTF-8, the client's own code echoed for a valid close, else what the session makes of it.
 */
export function frameOutcome(spec: FrameSpec, maxFrameBytes: number): string[] {
  const fin = spec.fin !== false
  const rsv = spec.rsv ?? 0
  const {opcode} = spec
  const length = spec.declaredLength ?? spec.payload.length
  const form = spec.lengthForm ?? 'min'
  const lengthField = form === 'min' && length < 126 ? length : form !== 64 && length < 65_536 ? 126 : 127
  if (rsv !== 0) return ['close:1002']
  if (opcode === 0 || (opcode > 2 && opcode < 8) || opcode > 10) return ['close:1002']
  if (opcode >= 8 && (!fin || lengthField > 125 || (opcode === 8 && length === 1))) return ['close:1002']
  if (spec.mask === false) return ['close:1002']
  if (opcode < 8 && length > maxFrameBytes) return ['close:1009']
  const payload = spec.payload
  if (opcode === 8) {
    if (length === 0) return ['close:1005']
    const code = payload.readUInt16BE(0)
    if (!validCloseCode(code)) return ['close:1002']
    if (!isValidUtf8(payload.subarray(2))) return ['close:1007']
    return [`close:${code}`]
  }
  if (opcode === 9 || opcode === 10) return [DONE]
  // A data frame without FIN starts a fragmented message; the `end` text frame that follows is then a new
  // data frame in the middle of it.
  if (!fin) return ['close:1002']
  if (opcode === 2) return [DONE]
  if (!isValidUtf8(payload)) return ['close:1007']
  const text = payload.toString('utf8')
  const outcome = textOutcome(text)
  if (outcome !== 'control') return [outcome]
  const message = JSON.parse(text) as Record<string, unknown>
  if (message['type'] === 'start' && message['step_ms'] === 5) return [INVALID]
  return [DONE]
}
