import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import * as http from 'node:http'
import type {AddressInfo} from 'node:net'
import * as path from 'node:path'

/**
 * A real HTTP server on 127.0.0.1 that answers like the Hugging Face hub for a directory of
 * repositories (`{root}/{owner}/{name}/{path}`):
 *   HEAD|GET /{repo}/resolve/{main|commit}/{path}
 *     small files: 200, ETag "<git blob sha1>", X-Repo-Commit
 *     LFS files (.onnx, or larger than lfsThreshold): 302 → {url}/lfs-store/{sha256} with
 *       X-Linked-Etag "<sha256>", X-Linked-Size, X-Repo-Commit, ETag
 *   GET /lfs-store/{sha256}: the content, with Range support (206 + Content-Range)
 *   unknown repo → 404 X-Error-Code: RepositoryNotFound; unknown file → 404 EntryNotFound;
 *   unknown revision → 404 RevisionNotFound; a required token missing → 401.
 * Switches: `cut(file, bytes)` ends the next transfer of that file after `bytes`;
 * `corrupt(file)` flips one byte of what is served (the headers still carry the true hash).
 */

export interface LoggedRequest {
  method: string
  url: string
  range?: string
  authorization?: string
}

export interface FakeHub {
  url: string
  root: string
  requests: LoggedRequest[]
  /** Require `Authorization: Bearer <token>` on resolve requests (undefined: open). */
  token: string | undefined
  addRepo(repo: string, files: Record<string, string | Buffer>): {commit: string}
  commitOf(repo: string): string
  cut(file: string, afterBytes: number, times?: number): void
  corrupt(file: string): void
  reset(): void
  close(): Promise<void>
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
const gitSha1 = (data: Buffer) => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex')

export async function startFakeHub(options: {root: string; token?: string; lfsThreshold?: number}): Promise<FakeHub> {
  const {root} = options
  const lfsThreshold = options.lfsThreshold ?? 10_000
  const cuts = new Map<string, {afterBytes: number; times: number}>()
  const corrupted = new Set<string>()
  const requests: LoggedRequest[] = []
  const lfs = new Map<string, string>() // sha256 → absolute file path

  const commitOf = (repo: string) =>
    createHash('sha1')
      .update(`commit:${repo}:${listFiles(path.join(root, repo)).join(',')}`)
      .digest('hex')
  const isLfs = (file: string, size: number) => file.endsWith('.onnx') || file.endsWith('.onnx_data') || size > lfsThreshold
  const served = (file: string, data: Buffer) => {
    if (!corrupted.has(file) || data.length === 0) return data
    const copy = Buffer.from(data)
    copy[Math.floor(copy.length / 2)] ^= 0xff
    return copy
  }

  const hub: FakeHub = {
    url: '',
    root,
    requests,
    token: options.token,
    addRepo(repo, files) {
      for (const [file, content] of Object.entries(files)) {
        const target = path.join(root, repo, file)
        fs.mkdirSync(path.dirname(target), {recursive: true})
        fs.writeFileSync(target, content)
      }
      return {commit: commitOf(repo)}
    },
    commitOf,
    cut: (file, afterBytes, times = 1) => void cuts.set(file, {afterBytes, times}),
    corrupt: (file) => void corrupted.add(file),
    reset() {
      cuts.clear()
      corrupted.clear()
      requests.length = 0
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    requests.push({method: req.method ?? '', url: url.pathname, range: req.headers.range, authorization: req.headers.authorization})
    const fail = (status: number, code?: string) => {
      if (code) res.setHeader('X-Error-Code', code)
      res.writeHead(status).end()
    }

    const store = /^\/lfs-store\/([0-9a-f]{64})$/.exec(url.pathname)
    if (store) {
      const file = lfs.get(store[1])
      if (!file || !fs.existsSync(file)) return fail(404)
      const relative = path.relative(root, file).split(path.sep).slice(2).join('/')
      return sendContent(req, res, served(relative, fs.readFileSync(file)), relative)
    }

    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname)
    if (!match) return fail(404)
    const [, repo, revision, encodedFile] = match
    const file = decodeURIComponent(encodedFile)
    if (hub.token !== undefined && req.headers.authorization !== `Bearer ${hub.token}`) return fail(401, 'RepositoryNotFound')
    const repoRoot = path.join(root, repo)
    if (!fs.existsSync(repoRoot)) return fail(404, 'RepositoryNotFound')
    const commit = commitOf(repo)
    if (revision !== 'main' && revision !== commit) return fail(404, 'RevisionNotFound')
    const target = path.join(repoRoot, file)
    if (!target.startsWith(repoRoot + path.sep) || !fs.existsSync(target)) {
      res.setHeader('X-Repo-Commit', commit)
      return fail(404, 'EntryNotFound')
    }
    const data = fs.readFileSync(target)
    res.setHeader('X-Repo-Commit', commit)
    if (isLfs(file, data.length)) {
      const hash = sha256(data)
      lfs.set(hash, target)
      res.setHeader('X-Linked-Etag', `"${hash}"`)
      res.setHeader('X-Linked-Size', String(data.length))
      res.setHeader('ETag', `"${hash}"`)
      res.setHeader('Location', `${hub.url}/lfs-store/${hash}`)
      return res.writeHead(302).end()
    }
    res.setHeader('ETag', `"${gitSha1(data)}"`)
    return sendContent(req, res, served(file, data), file)
  })

  function sendContent(req: http.IncomingMessage, res: http.ServerResponse, data: Buffer, file: string) {
    res.setHeader('Accept-Ranges', 'bytes')
    let start = 0
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    if (range) {
      start = Number(range[1])
      if (start >= data.length) {
        res.setHeader('Content-Range', `bytes */${data.length}`)
        return res.writeHead(416).end()
      }
      res.setHeader('Content-Range', `bytes ${start}-${data.length - 1}/${data.length}`)
    }
    const body = data.subarray(start)
    res.writeHead(range ? 206 : 200, {'Content-Length': String(body.length)})
    if (req.method === 'HEAD') return res.end()
    const cut = cuts.get(file)
    if (cut && cut.times > 0 && cut.afterBytes < body.length) {
      cut.times--
      res.write(body.subarray(0, cut.afterBytes), () => setTimeout(() => res.socket?.destroy(), 20))
      return
    }
    res.end(body)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return hub
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir, {withFileTypes: true})
    .flatMap((entry) =>
      entry.isDirectory() ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
    )
    .sort()
}

/** Bytes that look like nothing in particular, the same every run. */
export function pseudoRandomBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size)
  let state = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    out[i] = state & 0xff
  }
  return out
}

/** A small stand-in for a model repository in the ONNX layout, for the given dtype suffixes. */
export function fakeModelFiles(
  options: {suffixes?: string[]; onnxBytes?: number; tokenizerConfig?: boolean; merged?: boolean; processorConfig?: boolean} = {},
) {
  const {suffixes = [''], onnxBytes = 64_000, tokenizerConfig = true, merged = true, processorConfig = false} = options
  const featureExtractor = {feature_size: 80, sampling_rate: 16000}
  const files: Record<string, string | Buffer> = {
    'config.json': JSON.stringify({model_type: 'whisper', num_mel_bins: 80}),
    'generation_config.json': JSON.stringify({decoder_start_token_id: 50257}),
    // transformers 5 saves processor_config.json, the feature extractor nested, instead.
    ...(processorConfig
      ? {'processor_config.json': JSON.stringify({feature_extractor: featureExtractor})}
      : {'preprocessor_config.json': JSON.stringify(featureExtractor)}),
    'tokenizer.json': JSON.stringify({model: {type: 'BPE'}}),
    'README.md': '# fake model\n',
  }
  if (tokenizerConfig) files['tokenizer_config.json'] = JSON.stringify({model_max_length: 448})
  suffixes.forEach((suffix, index) => {
    files[`onnx/encoder_model${suffix}.onnx`] = pseudoRandomBytes(onnxBytes, 11 + index)
    if (merged) files[`onnx/decoder_model_merged${suffix}.onnx`] = pseudoRandomBytes(onnxBytes, 101 + index)
    else {
      files[`onnx/decoder_model${suffix}.onnx`] = pseudoRandomBytes(onnxBytes, 201 + index)
      files[`onnx/decoder_with_past_model${suffix}.onnx`] = pseudoRandomBytes(onnxBytes, 301 + index)
    }
  })
  return files
}
