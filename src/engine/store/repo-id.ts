import {REGISTRY, findEntry, findEntryByRepo, type RegistryEntry} from './registry.js'
import {WhisperStreamError} from '../errors.js'

/**
 * Repository ids, validated the way huggingface_hub's `validate_repo_id` does, plus the
 * rule this project adds: a repo id names exactly `owner/name`, so it maps to exactly one
 * `models--owner--name` folder inside the cache and can never reach outside it.
 */
const REPO_ID = /^[\w.-]{1,96}\/[\w.-]{1,96}$/
/** Branch or tag names and commit hashes; `refs/pr/N` too. */
const REVISION = /^[\w.-]+(\/[\w.-]+)*$/

export interface ModelRef {
  /** What the user typed (a friendly name or a repo id). */
  name: string
  repo: string
  revision: string
  entry?: RegistryEntry
}

export function validateRepoId(repo: string): string {
  const bad = (why: string) =>
    new WhisperStreamError('model-unknown', `Invalid repository id "${repo}": ${why}`, {
      hint: 'use a known model name, or owner/name',
      details: {reason: 'invalid-repo-id'},
    })
  if (!REPO_ID.test(repo)) throwIt(bad('expected owner/name with letters, digits, "-", "_" or "."'))
  for (const part of repo.split('/')) {
    if (part.startsWith('-') || part.startsWith('.') || part.endsWith('-') || part.endsWith('.'))
      throwIt(bad('a part cannot start or end with "-" or "."'))
  }
  if (repo.includes('--') || repo.includes('..')) throwIt(bad('"--" and ".." are not allowed'))
  if (repo.endsWith('.git')) throwIt(bad('cannot end with ".git"'))
  return repo
}

export function validateRevision(revision: string): string {
  if (!REVISION.test(revision) || revision.split('/').some((part) => part === '.' || part === '..'))
    throw new WhisperStreamError('usage', `Invalid revision "${revision}"`, {hint: 'use a branch, tag or commit hash'})
  return revision
}

function throwIt(error: Error): never {
  throw error
}

/** Levenshtein distance, small and exact. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]
}

/** The known name nearest to `name`, when one is near enough to be a plausible typo. */
export function nearestName(name: string): string | undefined {
  const lower = name.toLowerCase().replace(/^(openai\/)?whisper-/, '')
  let best: {name: string; distance: number} | undefined
  for (const entry of REGISTRY) {
    const distance = Math.min(editDistance(lower, entry.name), editDistance(name.toLowerCase(), entry.repo.toLowerCase()))
    if (!best || distance < best.distance) best = {name: entry.name, distance}
  }
  if (!best) return undefined
  return best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined
}

/**
 * A friendly name or `owner/name` (optionally `@revision`) → repository and revision.
 * Throws `model-unknown` with the nearest known name for anything else.
 */
export function parseModelName(input: string, revision = 'main'): ModelRef {
  const name = input.trim()
  let id = name
  const at = name.lastIndexOf('@')
  if (at > 0) {
    id = name.slice(0, at)
    revision = name.slice(at + 1)
  }
  validateRevision(revision)
  const entry = findEntry(id)
  if (entry) return {name: id, repo: entry.repo, revision, entry}
  if (id.includes('/') || id.includes('\\')) {
    validateRepoId(id)
    return {name: id, repo: id, revision, entry: findEntryByRepo(id)}
  }
  const suggestion = nearestName(id)
  throw new WhisperStreamError('model-unknown', `Unknown model "${id}"`, {
    hint: suggestion ? `did you mean "${suggestion}"?` : 'use a known model name, a Hugging Face repo id (owner/name) or a local directory',
    details: {reason: 'unknown-model', suggestion},
  })
}
