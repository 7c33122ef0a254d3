import * as fs from 'node:fs/promises'
import {homedir} from 'node:os'
import * as path from 'node:path'
import {
  DEFAULT_MODEL,
  filesForDtype,
  formatDtype,
  parseDtypeChoice,
  partsOf,
  sameDtype,
  type DtypeChoice,
  type DtypeParts,
  type ModelFile,
} from './registry.js'
import {WhisperStreamError} from '../errors.js'
import {downloadBlob, type ProgressListener} from './download.js'
import * as cache from './hub-cache.js'
import {HubClient, hubSettings} from './hub-client.js'
import {parseModelName, type ModelRef} from './repo-id.js'

/**
 * From what the user typed to a directory of model files: a local directory as is, a model
 * in the Hugging Face cache without touching the network, else a download into that cache.
 */

export interface StoreOptions {
  /** A dtype for both parts or one each; text ("q8", "encoder=fp32,decoder=q4") is parsed. */
  dtype?: DtypeParts | string
  /** Branch, tag or commit; `NAME@revision` works too. Default: main. */
  revision?: string
  /** Never touch the network. Default: HF_HUB_OFFLINE. */
  offline?: boolean
  onProgress?: ProgressListener
  signal?: AbortSignal
  /** Default: HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub. */
  cacheDir?: string
  /** Default: built from HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE. */
  client?: HubClient
  env?: NodeJS.ProcessEnv
}

export interface ResolvedModel {
  /** The directory holding config.json, tokenizer.json, onnx/… */
  dir: string
  source: 'local' | 'cache' | 'download'
  repo?: string
  commit?: string
  /** The dtype asked for, else the one found complete (fp32 first); undefined if a local directory has none complete. */
  dtype?: DtypeChoice
  files: {path: string; size: number; cached: boolean}[]
}

const looksLikePath = (value: string): boolean =>
  value.startsWith('.') || value.startsWith('~') || path.isAbsolute(value) || value.includes('\\') || value.split('/').length > 2

function offlineError(ref: ModelRef, dtype: DtypeChoice | undefined, why: string): WhisperStreamError {
  const nonDefault = dtype && !sameDtype(dtype, ref.entry?.defaultDtype ?? 'fp32') ? formatDtype(dtype) : undefined
  return new WhisperStreamError(
    'model-missing',
    `Model ${ref.name}${dtype ? ` (${formatDtype(dtype)})` : ''} is not in the cache and ${why}`,
    {
      hint: `pull ${ref.name}${nonDefault ? ` (${nonDefault})` : ''} while online`,
      details: {reason: 'not-cached', model: ref.name, dtype: nonDefault},
    },
  )
}

/** A choice as given, or parsed from text; a missing part takes the model's default. */
function checkDtype(dtype: DtypeParts | string | undefined, fallback?: DtypeChoice): DtypeChoice | undefined {
  if (dtype === undefined || typeof dtype === 'object') return dtype
  try {
    return parseDtypeChoice(dtype, fallback)
  } catch (error) {
    throw new WhisperStreamError('usage', (error as Error).message, {hint: 'for example q8, or encoder=fp32,decoder=q8'})
  }
}

/** A model already in the cache, complete for `dtype` (or for any dtype, preferring the default). */
export async function findCachedModel(
  nameOrRef: string | ModelRef,
  options: Pick<StoreOptions, 'dtype' | 'revision' | 'cacheDir' | 'env'> = {},
) {
  const ref = typeof nameOrRef === 'string' ? parseModelName(nameOrRef, options.revision) : nameOrRef
  const cacheDir = options.cacheDir ?? cache.hubCacheDir(options.env)
  const commit = await cache.readRef(cacheDir, ref.repo, ref.revision)
  if (!commit) return undefined
  const dir = cache.snapshotDir(cacheDir, ref.repo, commit)
  const dtype = checkDtype(options.dtype, ref.entry?.defaultDtype)
  const candidates: DtypeChoice[] = dtype ? [dtype] : [ref.entry?.defaultDtype ?? 'fp32', ...(await cache.dtypesIn(dir))]
  for (const candidate of candidates) if (await cache.hasDtype(dir, candidate)) return {dir, commit, dtype: candidate, repo: ref.repo}
  return undefined
}

/** Downloads what `dtype` needs into the cache (files already there are not fetched again). */
export async function pullModel(name: string, options: StoreOptions = {}): Promise<ResolvedModel> {
  const ref = parseModelName(name || DEFAULT_MODEL, options.revision)
  const dtype = checkDtype(options.dtype, ref.entry?.defaultDtype) ?? ref.entry?.defaultDtype ?? 'fp32'
  const cacheDir = options.cacheDir ?? cache.hubCacheDir(options.env)
  const client = options.client ?? new HubClient(hubSettings(options.env))
  if (options.offline ?? client.settings.offline) {
    const found = await findCachedModel(ref, {dtype, cacheDir})
    if (found) return {dir: found.dir, source: 'cache', repo: ref.repo, commit: found.commit, dtype, files: []}
    throw offlineError(ref, dtype, 'offline mode is on')
  }

  // Resolve every file first (HEAD), then fetch what is missing, then link the snapshot:
  // a failure anywhere leaves the snapshot as it was.
  let revision = ref.revision
  let commit: string | undefined
  const planned: {path: string; etag: string; size: number; url: string}[] = []
  const missing: string[] = []
  const queue: ModelFile[] = [...filesForDtype(dtype)]
  while (queue.length > 0) {
    const file = queue.shift()!
    const meta = await client.fileMetadata(ref.repo, revision, file.path, options.signal)
    if (!meta) {
      if (file.fallback) queue.unshift(...file.fallback.map((p) => ({path: p})))
      else if (file.optional) missing.push(file.path)
      else
        throw new WhisperStreamError(
          'not-found',
          `${ref.repo} has no ${file.path}`,
          ref.entry && ![partsOf(dtype).encoder, partsOf(dtype).decoder].every((d) => ref.entry!.dtypes.includes(d))
            ? {hint: `${ref.name} is published as ${ref.entry.dtypes.join(', ')}`}
            : {hint: 'try another dtype', details: {reason: 'dtype-unavailable'}},
        )
      continue
    }
    if (!commit) {
      commit = meta.commit
      cache.snapshotDir(cacheDir, ref.repo, commit) // validates the hub's commit before anything is written
      revision = commit // every later file from the same commit
    }
    cache.blobPath(cacheDir, ref.repo, meta.etag)
    // Content that was not redirected is fetched at the pinned commit too.
    const url =
      meta.url === client.resolveUrl(ref.repo, ref.revision, file.path) ? client.resolveUrl(ref.repo, commit, file.path) : meta.url
    planned.push({path: file.path, etag: meta.etag, size: meta.size, url})
  }
  if (!commit) throw new WhisperStreamError('not-found', `Nothing to download from ${ref.repo}`)

  const files: ResolvedModel['files'] = []
  for (const file of planned) {
    const cached = await downloadBlob({
      client,
      url: file.url,
      dest: cache.blobPath(cacheDir, ref.repo, file.etag),
      file: file.path,
      size: file.size,
      etag: file.etag,
      onProgress: options.onProgress,
      signal: options.signal,
    })
    files.push({path: file.path, size: file.size, cached})
  }
  for (const file of planned) await cache.linkSnapshotFile(cacheDir, ref.repo, commit, file.path, file.etag)
  for (const file of missing) await cache.markMissing(cacheDir, ref.repo, commit, file)
  await cache.writeRef(cacheDir, ref.repo, ref.revision, commit)
  const allCached = files.every((f) => f.cached)
  return {
    dir: cache.snapshotDir(cacheDir, ref.repo, commit),
    source: allCached ? 'cache' : 'download',
    repo: ref.repo,
    commit,
    dtype,
    files,
  }
}

/** Like `resolveModel`, with what was found. */
export async function resolveModelInfo(nameOrPath: string | undefined, options: StoreOptions = {}): Promise<ResolvedModel> {
  const input = nameOrPath?.trim() || DEFAULT_MODEL
  const local = input.startsWith('~') ? path.join(homedir(), input.slice(1)) : input
  const stat = await fs.stat(local).catch(() => undefined)
  if (stat?.isDirectory()) {
    const dir = path.resolve(local)
    return {dir, source: 'local', dtype: checkDtype(options.dtype, 'fp32') ?? (await cache.dtypesIn(dir))[0], files: []}
  }
  if (looksLikePath(input))
    throw new WhisperStreamError('model-missing', `No model directory at ${input}`, {
      hint: 'give a directory holding config.json and onnx/, or a model name such as tiny.en',
    })
  const ref = parseModelName(input, options.revision)
  const cacheDir = options.cacheDir ?? cache.hubCacheDir(options.env)
  const found = await findCachedModel(ref, {dtype: options.dtype, cacheDir})
  if (found) return {dir: found.dir, source: 'cache', repo: ref.repo, commit: found.commit, dtype: found.dtype, files: []}
  const client = options.client ?? new HubClient(hubSettings(options.env))
  if (options.offline ?? client.settings.offline)
    throw offlineError(ref, checkDtype(options.dtype, ref.entry?.defaultDtype), 'offline mode is on')
  return pullModel(input, {...options, cacheDir, client})
}

/**
 * The one entry point commands use: a local directory for `nameOrPath` (a directory, a known
 * name such as `tiny.en`, or a hub repo id `owner/name[@revision]`; default tiny.en).
 */
export async function resolveModel(nameOrPath: string | undefined, options: StoreOptions = {}): Promise<string> {
  return (await resolveModelInfo(nameOrPath, options)).dir
}
