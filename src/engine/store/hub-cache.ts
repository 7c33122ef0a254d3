import {fileExists} from '../file-exists.js'
import * as fs from 'node:fs/promises'
import {homedir} from 'node:os'
import * as path from 'node:path'
import {
  decoderFiles,
  DTYPES,
  encoderFiles,
  filesForDtype,
  findEntryByRepo,
  type Dtype,
  type DtypeChoice,
  type ModelFile,
} from './registry.js'
import {WhisperStreamError} from '../errors.js'

/**
 * The standard Hugging Face hub cache, laid out exactly as huggingface_hub lays it out, so a
 * model downloaded by Python tools is reused here and ours serve them:
 *
 *   {cache}/models--owner--name/blobs/<etag>                    the content, named by hash
 *   {cache}/models--owner--name/snapshots/<commit>/<path>       relative symlink → ../../blobs/<etag>
 *   {cache}/models--owner--name/refs/<revision>                 the commit the revision pointed to
 *   {cache}/models--owner--name/.no_exist/<commit>/<path>       the file is known not to exist
 */

const COMMIT = /^[0-9a-f]{40}$/
/** Git blob sha1 (40) or LFS sha256 (64); anything else from a server is refused as a file name. */
const ETAG = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/

export const isCommitHash = (value: string): boolean => COMMIT.test(value)

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const expand = (value: string) => (value.startsWith('~') ? path.join(homedir(), value.slice(1)) : value)
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE
  if (explicit) return path.resolve(expand(explicit))
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'huggingface')
  return path.resolve(expand(home), 'hub')
}

export const repoFolderName = (repo: string): string => `models--${repo.split('/').join('--')}`

/** Joins and refuses any result outside `base` (defence in depth behind repo-id validation). */
export function within(base: string, ...parts: string[]): string {
  const target = path.resolve(base, ...parts)
  const relative = path.relative(base, target)
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
    throw new WhisperStreamError('internal', `Refusing a path outside the model cache: ${parts.join('/')}`)
  return target
}

export const repoDir = (cache: string, repo: string): string => within(cache, repoFolderName(repo))

export function blobPath(cache: string, repo: string, etag: string): string {
  if (!ETAG.test(etag)) throw new WhisperStreamError('checksum', `The hub sent an unexpected ETag "${etag}"`)
  return within(repoDir(cache, repo), 'blobs', etag)
}

export function snapshotDir(cache: string, repo: string, commit: string): string {
  if (!COMMIT.test(commit)) throw new WhisperStreamError('network', `The hub sent an unexpected commit "${commit}"`)
  return within(repoDir(cache, repo), 'snapshots', commit)
}

/** The commit a revision resolves to in the cache (a commit hash resolves to itself). */
export async function readRef(cache: string, repo: string, revision: string): Promise<string | undefined> {
  if (COMMIT.test(revision)) return (await fileExists(snapshotDir(cache, repo, revision))) ? revision : undefined
  const content = await fs.readFile(within(repoDir(cache, repo), 'refs', revision), 'utf8').catch(() => undefined)
  const commit = content?.trim()
  return commit && COMMIT.test(commit) ? commit : undefined
}

export async function writeRef(cache: string, repo: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return
  const file = within(repoDir(cache, repo), 'refs', revision)
  await fs.mkdir(path.dirname(file), {recursive: true})
  await fs.writeFile(file, commit) // huggingface_hub writes it without a newline
}

/** Points snapshots/<commit>/<file> at its blob with a relative symlink (a copy where links are refused). */
export async function linkSnapshotFile(cache: string, repo: string, commit: string, file: string, etag: string): Promise<string> {
  const blob = blobPath(cache, repo, etag)
  const link = within(snapshotDir(cache, repo, commit), file)
  await fs.mkdir(path.dirname(link), {recursive: true})
  await fs.rm(link, {force: true})
  try {
    await fs.symlink(path.relative(path.dirname(link), blob), link)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error
    await fs.copyFile(blob, link)
  }
  return link
}

export async function markMissing(cache: string, repo: string, commit: string, file: string): Promise<void> {
  const marker = within(repoDir(cache, repo), '.no_exist', commit, file)
  await fs.mkdir(path.dirname(marker), {recursive: true})
  await fs.writeFile(marker, '')
}

export const isMarkedMissing = async (cache: string, repo: string, commit: string, file: string): Promise<boolean> =>
  fileExists(within(repoDir(cache, repo), '.no_exist', commit, file))

/** Does the snapshot hold everything `dtype` needs (following symlinks to existing blobs)? */
export const hasDtype = (dir: string, dtype: DtypeChoice): Promise<boolean> => hasFiles(dir, filesForDtype(dtype))

async function hasFiles(dir: string, files: ModelFile[]): Promise<boolean> {
  for (const file of files) {
    if (file.optional || (await fileExists(path.join(dir, file.path)))) continue
    if (file.fallback && (await Promise.all(file.fallback.map((f) => fileExists(path.join(dir, f))))).every(Boolean)) continue
    return false
  }
  return true
}

/** The dtypes complete for both parts. */
export async function dtypesIn(dir: string): Promise<Dtype[]> {
  const found: Dtype[] = []
  for (const dtype of DTYPES) if (await hasDtype(dir, dtype)) found.push(dtype)
  return found
}

/** The dtypes present per part (a per-part choice can mix any encoder with any decoder). */
export async function partsIn(dir: string): Promise<{encoder: Dtype[]; decoder: Dtype[]}> {
  const encoder: Dtype[] = []
  const decoder: Dtype[] = []
  for (const dtype of DTYPES) {
    if (await hasFiles(dir, encoderFiles(dtype))) encoder.push(dtype)
    if (await hasFiles(dir, decoderFiles(dtype))) decoder.push(dtype)
  }
  return {encoder, decoder}
}

async function sizeOfDir(dir: string): Promise<number> {
  let total = 0
  const entries = await fs.readdir(dir, {withFileTypes: true}).catch(() => [])
  for (const entry of entries) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) total += await sizeOfDir(full)
    else if (entry.isFile()) total += (await fs.stat(full)).size
  }
  return total
}

export interface CachedRepo {
  repo: string
  /** Known friendly name, when the registry has one. */
  name?: string
  dir: string
  /** Bytes of blobs on disk (partial downloads included). */
  size: number
  /** The snapshot that refs/main names, else the newest. */
  snapshot?: string
  commit?: string
  /** dtypes complete for both parts. */
  dtypes: Dtype[]
  /** dtypes present per part (what a per-part dtype choice can combine). */
  parts: {encoder: Dtype[]; decoder: Dtype[]}
}

/** Every model repository in the cache, whoever downloaded it. */
export async function listCachedRepos(cache: string): Promise<CachedRepo[]> {
  const entries = await fs.readdir(cache, {withFileTypes: true}).catch(() => [])
  const repos: CachedRepo[] = []
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith('models--')) continue
    const repo = entry.name.slice('models--'.length).split('--').join('/')
    const dir = path.join(cache, entry.name)
    let commit = await readRef(cache, repo, 'main').catch(() => undefined)
    if (!commit) {
      const snapshots = await fs.readdir(path.join(dir, 'snapshots'), {withFileTypes: true}).catch(() => [])
      const dated = await Promise.all(
        snapshots
          .filter((s) => s.isDirectory() && COMMIT.test(s.name))
          .map(async (s) => ({name: s.name, mtime: (await fs.stat(path.join(dir, 'snapshots', s.name))).mtimeMs})),
      )
      commit = dated.sort((a, b) => b.mtime - a.mtime)[0]?.name
    }
    const snapshot = commit ? path.join(dir, 'snapshots', commit) : undefined
    repos.push({
      repo,
      name: findEntryByRepo(repo)?.name,
      dir,
      size: await sizeOfDir(path.join(dir, 'blobs')),
      snapshot,
      commit,
      dtypes: snapshot ? await dtypesIn(snapshot) : [],
      parts: snapshot ? await partsIn(snapshot) : {encoder: [], decoder: []},
    })
  }
  return repos.sort((a, b) => a.repo.localeCompare(b.repo))
}

/** Deletes a repository's whole cache folder; returns the bytes freed, undefined when it was not there. */
export async function removeRepo(cache: string, repo: string): Promise<number | undefined> {
  const dir = repoDir(cache, repo)
  if (!(await fileExists(dir))) return undefined
  const size = await sizeOfDir(path.join(dir, 'blobs'))
  await fs.rm(dir, {recursive: true, force: true})
  return size
}
