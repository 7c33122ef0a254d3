// Word error rate and a word alignment (Levenshtein with backtrace) for the quality scenario and tests.

/** Lower case, letters, digits and apostrophes only: Whisper's punctuation and casing never count. */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0)
}

export type AlignOp = {op: 'match' | 'substitute'; ref: number; hyp: number} | {op: 'delete'; ref: number} | {op: 'insert'; hyp: number}

/** A minimum-edit alignment of hyp to ref, in order. */
export function alignWords(ref: readonly string[], hyp: readonly string[]): AlignOp[] {
  const cols = hyp.length + 1
  const cost = new Uint32Array((ref.length + 1) * cols)
  for (let j = 0; j <= hyp.length; j++) cost[j] = j
  for (let i = 1; i <= ref.length; i++) {
    cost[i * cols] = i
    for (let j = 1; j <= hyp.length; j++) {
      const diagonal = cost[(i - 1) * cols + j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1)
      cost[i * cols + j] = Math.min(diagonal, cost[(i - 1) * cols + j]! + 1, cost[i * cols + j - 1]! + 1)
    }
  }
  const ops: AlignOp[] = []
  let i = ref.length
  let j = hyp.length
  while (i > 0 || j > 0) {
    // Among equally cheap steps, a match first: ties then keep the most words aligned to themselves.
    const here = cost[i * cols + j]!
    const same = i > 0 && j > 0 && ref[i - 1] === hyp[j - 1]
    if (same && here === cost[(i - 1) * cols + j - 1]!) ops.push({op: 'match', ref: --i, hyp: --j})
    else if (i > 0 && here === cost[(i - 1) * cols + j]! + 1) ops.push({op: 'delete', ref: --i})
    else if (j > 0 && here === cost[i * cols + j - 1]! + 1) ops.push({op: 'insert', hyp: --j})
    else ops.push({op: 'substitute', ref: --i, hyp: --j})
  }
  return ops.reverse()
}

export interface WordErrors {
  ref: number
  substitutions: number
  deletions: number
  insertions: number
  /** (S + D + I) / N in percent; 0 for an empty reference and hypothesis. */
  wer: number
  /** Inserted words equal to a neighbouring hypothesis word: a word emitted twice. */
  doubled: number
}

export function wordErrors(ref: readonly string[], hyp: readonly string[]): WordErrors {
  const ops = alignWords(ref, hyp)
  const count = (op: AlignOp['op']): number => ops.filter((o) => o.op === op).length
  const substitutions = count('substitute')
  const deletions = count('delete')
  const insertions = count('insert')
  const doubled = ops.filter((o) => o.op === 'insert' && (hyp[o.hyp] === hyp[o.hyp - 1] || hyp[o.hyp] === hyp[o.hyp + 1])).length
  const errors = substitutions + deletions + insertions
  const wer = ref.length === 0 ? (errors === 0 ? 0 : 100) : (100 * errors) / ref.length
  return {ref: ref.length, substitutions, deletions, insertions, wer: Math.round(wer * 100) / 100, doubled}
}
