import type {Backoff} from './backoff.js'
import {WhisperStreamError} from '../errors.js'

/**
 * A minimal Hugging Face hub client: HEAD a file's `resolve` URL for its metadata (the way
 * huggingface_hub's `get_hf_file_metadata` does), then GET its content, with a Range to
 * resume. Node's built-in fetch; no dependency.
 */

export interface HubSettings {
  endpoint: string
  token?: string
  offline: boolean
  /** Waits between resumes of a cut transfer. */
  backoff?: Backoff
}

const TRUE = new Set(['1', 'on', 'yes', 'true'])

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  return {
    endpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
    offline: TRUE.has((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase()),
  }
}

export interface FileMetadata {
  /** The commit the revision resolved to (X-Repo-Commit). */
  commit: string
  /** sha256 for LFS files, the git blob sha1 otherwise. */
  etag: string
  size: number
  /** Where to GET the content (the LFS redirect target, or the resolve URL). */
  url: string
  lfs: boolean
}

const MAX_REDIRECTS = 10
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
])

/** The errno-style code under fetch's "fetch failed" TypeError, if any. */
export function networkCode(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as {code?: unknown}).code
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code
    const errors = (current as {errors?: unknown}).errors // AggregateError from happy-eyeballs connects
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as {cause?: unknown}).cause
  }
  return undefined
}

const normalizeEtag = (value: string | null): string | undefined => value?.replace(/^W\//, '').replaceAll('"', '').trim() || undefined

export class HubClient {
  readonly settings: HubSettings
  private readonly origin: string

  constructor(settings: HubSettings = hubSettings()) {
    this.settings = settings
    this.origin = new URL(settings.endpoint).origin
  }

  resolveUrl(repo: string, revision: string, file: string): string {
    const encodedPath = file.split('/').map(encodeURIComponent).join('/')
    return `${this.settings.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`
  }

  /**
   * Metadata of one file, or `undefined` when the repository exists but the file does not.
   * Relative redirects (renamed repositories) are followed; an absolute one is the LFS
   * storage URL and is where the content will come from.
   */
  async fileMetadata(repo: string, revision: string, file: string, signal?: AbortSignal): Promise<FileMetadata | undefined> {
    let url = this.resolveUrl(repo, revision, file)
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const response = await this.request(url, 'HEAD', {signal, what: `${repo}/${file}`})
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        const relative = !/^[a-z][a-z\d+.-]*:/i.test(location)
        if (relative && !response.headers.get('x-linked-etag')) {
          url = new URL(location, url).toString()
          continue
        }
      } else if (response.status === 404 && response.headers.get('x-error-code') === 'EntryNotFound') {
        return undefined
      } else if (!response.ok) {
        throw this.statusError(response, repo, file)
      }
      const commit = response.headers.get('x-repo-commit') ?? undefined
      const etag = normalizeEtag(response.headers.get('x-linked-etag')) ?? normalizeEtag(response.headers.get('etag'))
      const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length'))
      if (!commit || !etag || !Number.isFinite(size))
        throw new WhisperStreamError(
          'network',
          `The server at ${this.settings.endpoint} did not answer like a Hugging Face hub for ${repo}/${file}`,
          {
            hint: 'check HF_ENDPOINT',
          },
        )
      return {commit, etag, size, url: location ? new URL(location, url).toString() : url, lfs: response.headers.has('x-linked-etag')}
    }
    throw new WhisperStreamError('network', `Too many redirects for ${repo}/${file}`)
  }

  /** GET content from `start` on; follows redirects; the body is the caller's to consume. */
  async getContent(url: string, start: number, signal?: AbortSignal, what = url): Promise<Response> {
    let current = url
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers: Record<string, string> = start > 0 ? {Range: `bytes=${start}-`} : {}
      const response = await this.request(current, 'GET', {signal, what, headers})
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel()
        current = new URL(location, current).toString()
        continue
      }
      if (response.status === 416) {
        await response.body?.cancel()
        return this.getContent(url, 0, signal, what)
      }
      if (!response.ok) {
        await response.body?.cancel()
        throw this.statusError(response, what, '')
      }
      return response
    }
    throw new WhisperStreamError('network', `Too many redirects for ${what}`)
  }

  private async request(
    url: string,
    method: 'GET' | 'HEAD',
    options: {signal?: AbortSignal; what: string; headers?: Record<string, string>},
  ): Promise<Response> {
    if (this.settings.offline)
      throw new WhisperStreamError('offline', `Offline (HF_HUB_OFFLINE is set): not fetching ${options.what}`, {
        hint: 'unset HF_HUB_OFFLINE to download, or use a model already in the cache',
      })
    const headers: Record<string, string> = {'Accept-Encoding': 'identity', 'User-Agent': 'whisper-stream', ...options.headers}
    // The token goes to the hub only, never to the storage a redirect points at.
    if (this.settings.token && new URL(url).origin === this.origin) headers.Authorization = `Bearer ${this.settings.token}`
    try {
      return await fetch(url, {method, headers, redirect: 'manual', signal: options.signal})
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new WhisperStreamError('aborted', 'Download cancelled', {cause: error})
      const code = networkCode(error) ?? ((error as Error).cause as Error | undefined)?.message ?? 'no response'
      throw new WhisperStreamError('network', `Cannot reach ${new URL(url).host} (${code})`, {
        hint: 'check your network connection, or set HF_HUB_OFFLINE=1 to use only cached models',
        cause: error,
      })
    }
  }

  private statusError(response: Response, repo: string, file: string): WhisperStreamError {
    const what = file ? `${repo}/${file}` : repo
    const status = response.status
    if (status === 401 || status === 403)
      return new WhisperStreamError(
        'auth',
        `Access denied to ${repo} (HTTP ${status}): the repository is private, gated, or does not exist`,
        {
          hint: this.settings.token
            ? 'the token in HF_TOKEN has no access to it; accept the terms on its hub page or check the name'
            : 'set HF_TOKEN to a Hugging Face access token if it is private or gated, or check the name',
        },
      )
    if (status === 404) {
      const code = response.headers.get('x-error-code')
      const message =
        code === 'RevisionNotFound'
          ? `Revision not found for ${repo}`
          : code === 'EntryNotFound'
            ? `File not found: ${what}`
            : `Repository not found: ${repo}`
      return new WhisperStreamError('not-found', `${message} (HTTP 404)`, {hint: 'check the name', details: {reason: 'hub-not-found'}})
    }
    return new WhisperStreamError('network', `The hub answered HTTP ${status} for ${what}`, {hint: 'try again later'})
  }
}
