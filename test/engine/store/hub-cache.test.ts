import {createHash} from 'node:crypto'
import * as fs from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {hubCacheDir, listCachedRepos, readRef, removeRepo, within} from '../../../src/engine/store/hub-cache.js'
import {resolveModel} from '../../../src/engine/store/resolve-model.js'

/** Writes a repository the way huggingface_hub (Python) does: blobs, relative symlinks, refs/main. */
export function writePythonStyleCache(cache: string, repo: string, files: Record<string, string>): {commit: string; snapshot: string} {
  const commit = createHash('sha1').update(repo).digest('hex')
  const base = path.join(cache, `models--${repo.replace('/', '--')}`)
  const snapshot = path.join(base, 'snapshots', commit)
  for (const [file, content] of Object.entries(files)) {
    const etag = createHash('sha256').update(content).digest('hex')
    fs.mkdirSync(path.join(base, 'blobs'), {recursive: true})
    fs.writeFileSync(path.join(base, 'blobs', etag), content)
    const link = path.join(snapshot, file)
    fs.mkdirSync(path.dirname(link), {recursive: true})
    fs.symlinkSync(path.relative(path.dirname(link), path.join(base, 'blobs', etag)), link)
  }
  fs.mkdirSync(path.join(base, 'refs'), {recursive: true})
  fs.writeFileSync(path.join(base, 'refs', 'main'), commit)
  return {commit, snapshot}
}

export const modelFiles = (suffix = ''): Record<string, string> => ({
  'config.json': '{}',
  'generation_config.json': '{}',
  'preprocessor_config.json': '{}',
  'tokenizer.json': '{}',
  [`onnx/encoder_model${suffix}.onnx`]: `encoder${suffix}`,
  [`onnx/decoder_model_merged${suffix}.onnx`]: `decoder${suffix}`,
})

let cache: string
beforeEach(() => {
  cache = fs.mkdtempSync(path.join(tmpdir(), 'ws-cache-'))
})
afterEach(() => fs.rmSync(cache, {recursive: true, force: true}))

describe('hub cache', () => {
  it('finds the cache directory the way huggingface_hub does', () => {
    expect(hubCacheDir({HF_HUB_CACHE: '/a/hub', HF_HOME: '/b'})).toBe('/a/hub')
    expect(hubCacheDir({HF_HOME: '/b'})).toBe(path.resolve('/b/hub'))
    expect(hubCacheDir({XDG_CACHE_HOME: '/c'})).toBe(path.resolve('/c/huggingface/hub'))
    expect(hubCacheDir({})).toMatch(/\.cache[/\\]huggingface[/\\]hub$/)
  })

  it('refuses paths outside the cache', () => {
    expect(() => within(cache, '..', 'x')).toThrow(/outside/)
    expect(() => within(cache, '/etc/passwd')).toThrow(/outside/)
  })

  it('reads a cache made by the Python hub client, offline', async () => {
    const {commit, snapshot} = writePythonStyleCache(cache, 'onnx-community/whisper-tiny.en', {
      ...modelFiles(),
      ...modelFiles('_quantized'),
    })
    expect(await readRef(cache, 'onnx-community/whisper-tiny.en', 'main')).toBe(commit)
    const [repo] = await listCachedRepos(cache)
    expect(repo).toMatchObject({repo: 'onnx-community/whisper-tiny.en', name: 'tiny.en', commit, snapshot, dtypes: ['fp32', 'q8']})
    expect(repo.size).toBeGreaterThan(0)
    // No client and an unroutable endpoint: only the cache can answer.
    const env = {HF_HUB_CACHE: cache, HF_ENDPOINT: 'http://127.0.0.1:9'}
    expect(await resolveModel('tiny.en', {env})).toBe(snapshot)
    expect(await resolveModel('tiny.en', {env, dtype: 'q8'})).toBe(snapshot)
    await expect(resolveModel('tiny.en', {env, dtype: 'fp16', offline: true})).rejects.toMatchObject({
      code: 'model-missing',
      details: {reason: 'not-cached', model: 'tiny.en', dtype: 'fp16'},
    })
    expect(fs.readFileSync(path.join(snapshot, 'onnx/encoder_model.onnx'), 'utf8')).toBe('encoder')
  })

  it('removes a repository and reports what it freed', async () => {
    writePythonStyleCache(cache, 'someone/model', modelFiles())
    expect(await removeRepo(cache, 'someone/model')).toBeGreaterThan(0)
    expect(await removeRepo(cache, 'someone/model')).toBeUndefined()
    expect(await listCachedRepos(cache)).toEqual([])
  })
})
