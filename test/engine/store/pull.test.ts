import * as fs from 'node:fs'
import * as net from 'node:net'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {Writable} from 'node:stream'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {downloadBlob, type ProgressEvent} from '../../../src/engine/store/download.js'
import {HubClient} from '../../../src/engine/store/hub-client.js'
import {listCachedRepos} from '../../../src/engine/store/hub-cache.js'
import {pullModel, resolveModel, resolveModelInfo} from '../../../src/engine/store/resolve-model.js'
import {fakeModelFiles, startFakeHub, type FakeHub} from '../../helpers/fake-hub.js'

const REPO = 'onnx-community/whisper-tiny.en'
let hub: FakeHub
let work: string
let cache: string

// Backoff in milliseconds, not seconds: the retries are what is tested, not the waiting.
const client = (settings: {token?: string; offline?: boolean} = {}) =>
  new HubClient({endpoint: hub.url, offline: false, backoff: {baseMs: 2, maxMs: 8}, ...settings})
const snapshots = () => path.join(cache, `models--${REPO.replace('/', '--')}`, 'snapshots')
const blobs = () => path.join(cache, `models--${REPO.replace('/', '--')}`, 'blobs')

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(tmpdir(), 'ws-pull-'))
  hub = await startFakeHub({root: path.join(work, 'hub')})
  // tiny.en's default is the fp32 encoder with the q8 decoder; the repo also has q4 files but no q4 encoder.
  const tinyFiles = fakeModelFiles({suffixes: ['', '_quantized', '_q4']})
  delete tinyFiles['onnx/encoder_model_q4.onnx']
  hub.addRepo(REPO, tinyFiles)
  hub.addRepo('someone/unmerged', fakeModelFiles({merged: false, tokenizerConfig: false}))
  hub.addRepo('someone/variants', fakeModelFiles({suffixes: ['', '_fp16', '_quantized', '_int8', '_uint8', '_q4', '_q4f16', '_bnb4']}))
  hub.addRepo('someone/transformers5', fakeModelFiles({processorConfig: true}))
})
afterAll(async () => {
  await hub.close()
  fs.rmSync(work, {recursive: true, force: true})
})
beforeEach(() => {
  hub.reset()
  hub.token = undefined
  cache = fs.mkdtempSync(path.join(work, 'cache-'))
})

describe('pull into the hub cache', () => {
  it('downloads only the files of the dtype, in the hub cache layout', async () => {
    const events: ProgressEvent[] = []
    const result = await pullModel('tiny.en', {dtype: 'q8', cacheDir: cache, client: client(), onProgress: (e) => events.push(e)})
    const commit = hub.commitOf(REPO)
    expect(result).toMatchObject({commit, dtype: 'q8', source: 'download', dir: path.join(snapshots(), commit)})
    expect(fs.readFileSync(path.join(cache, `models--${REPO.replace('/', '--')}`, 'refs', 'main'), 'utf8')).toBe(commit)
    const encoder = path.join(result.dir, 'onnx/encoder_model_quantized.onnx')
    expect(fs.lstatSync(encoder).isSymbolicLink()).toBe(true)
    expect(path.isAbsolute(fs.readlinkSync(encoder))).toBe(false)
    expect(fs.readFileSync(encoder)).toEqual(fs.readFileSync(path.join(hub.root, REPO, 'onnx/encoder_model_quantized.onnx')))
    expect(fs.existsSync(path.join(result.dir, 'onnx/encoder_model.onnx'))).toBe(false) // fp32 not fetched
    expect(fs.existsSync(path.join(result.dir, 'README.md'))).toBe(false)
    // LFS files went through the redirect; later files used the commit, not "main"
    expect(hub.requests.some((r) => r.url.startsWith('/lfs-store/'))).toBe(true)
    expect(hub.requests.filter((r) => r.url.includes('/resolve/main/'))).toHaveLength(1)
    expect(events.filter((e) => e.type === 'done')).toHaveLength(7)

    // Second pull: HEADs only, nothing downloaded again.
    hub.reset()
    const again = await pullModel('tiny.en', {dtype: 'q8', cacheDir: cache, client: client()})
    expect(again.source).toBe('cache')
    expect(hub.requests.every((r) => r.method === 'HEAD')).toBe(true)
  })

  it('resumes a transfer the server cut, with a Range request', async () => {
    hub.cut('onnx/encoder_model.onnx', 20_000)
    const events: ProgressEvent[] = []
    const result = await pullModel('tiny.en', {dtype: 'fp32', cacheDir: cache, client: client(), onProgress: (e) => events.push(e)})
    const ranged = hub.requests.filter((r) => r.range)
    // Every byte that passed through before the cut is on disk: the resume asks for exactly the rest.
    const firstRetry = events.find((e) => e.type === 'retry' && e.file === 'onnx/encoder_model.onnx')
    expect(firstRetry).toBeDefined()
    const kept = firstRetry?.type === 'retry' ? firstRetry.bytes : NaN
    expect(ranged[0]?.range).toBe(kept > 0 ? `bytes=${kept}-` : undefined)
    expect(events.some((e) => e.type === 'retry')).toBe(true)
    expect(fs.readFileSync(path.join(result.dir, 'onnx/encoder_model.onnx'))).toEqual(
      fs.readFileSync(path.join(hub.root, REPO, 'onnx/encoder_model.onnx')),
    )
    expect(fs.readdirSync(blobs()).some((f) => f.endsWith('.incomplete'))).toBe(false)
  })

  it('resumes a partial file left by an earlier run', async () => {
    hub.cut('onnx/encoder_model.onnx', 10_000, 10) // more cuts than the 3 automatic resumes
    const events: ProgressEvent[] = []
    await expect(
      pullModel('tiny.en', {dtype: 'fp32', cacheDir: cache, client: client(), onProgress: (e) => events.push(e)}),
    ).rejects.toMatchObject({
      code: 'network',
    })
    // Three resumes, each after a jittered wait under a doubling ceiling (2, 4, 8 ms here).
    const delays = events.flatMap((e) => (e.type === 'retry' ? [e.delayMs] : []))
    expect(delays).toHaveLength(3)
    delays.forEach((delay, attempt) => expect(delay).toBeLessThan(Math.min(8, 2 * 2 ** attempt)))
    expect(fs.existsSync(snapshots())).toBe(false)
    // What reached us is on disk, no more, no less. (How much each cut lets through depends on timing:
    // fetch drops bytes it had queued but not handed over when the connection breaks.)
    const received = Math.max(...events.flatMap((e) => (e.type === 'progress' || e.type === 'retry' ? [e.bytes] : [])))
    const partial = fs.readdirSync(blobs()).find((f) => f.endsWith('.incomplete'))!
    expect(fs.statSync(path.join(blobs(), partial)).size).toBe(received)
    hub.reset()
    const result = await pullModel('tiny.en', {dtype: 'fp32', cacheDir: cache, client: client()})
    expect(hub.requests.find((r) => r.range)?.range).toBe(received > 0 ? `bytes=${received}-` : undefined)
    expect(fs.readFileSync(path.join(result.dir, 'onnx/encoder_model.onnx'))).toEqual(
      fs.readFileSync(path.join(hub.root, REPO, 'onnx/encoder_model.onnx')),
    )
  })

  it('rejects a corrupted byte and leaves nothing in snapshots', async () => {
    hub.corrupt('onnx/decoder_model_merged.onnx')
    await expect(pullModel('tiny.en', {dtype: 'fp32', cacheDir: cache, client: client()})).rejects.toMatchObject({
      code: 'checksum',
      message: expect.stringMatching(/Checksum mismatch for onnx\/decoder_model_merged.onnx/),
    })
    expect(fs.existsSync(snapshots())).toBe(false)
    expect(fs.readdirSync(blobs()).some((f) => f.endsWith('.incomplete'))).toBe(false)
  })

  it('checks small files against their git blob hash too', async () => {
    hub.corrupt('config.json')
    await expect(pullModel('tiny.en', {dtype: 'fp32', cacheDir: cache, client: client()})).rejects.toMatchObject({code: 'checksum'})
  })

  it('says 404 and 401 clearly, and succeeds with HF_TOKEN', async () => {
    await expect(pullModel('nobody/nothing', {cacheDir: cache, client: client()})).rejects.toMatchObject({
      code: 'not-found',
      details: {reason: 'hub-not-found'},
    })
    await expect(pullModel('tiny.en', {dtype: 'q4', cacheDir: cache, client: client()})).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringMatching(/has no onnx\/encoder_model_q4.onnx/),
    })
    hub.token = 'secret'
    await expect(pullModel('tiny.en', {cacheDir: cache, client: client()})).rejects.toMatchObject({
      code: 'auth',
      line: expect.stringMatching(/HF_TOKEN/),
    })
    await expect(pullModel('tiny.en', {cacheDir: cache, client: client({token: 'wrong'})})).rejects.toMatchObject({code: 'auth'})
    hub.requests.length = 0
    const result = await pullModel('tiny.en', {cacheDir: cache, client: client({token: 'secret'})})
    expect(fs.existsSync(path.join(result.dir, 'config.json'))).toBe(true)
    expect(hub.requests.filter((r) => r.url.includes('/resolve/')).every((r) => r.authorization === 'Bearer secret')).toBe(true)
  })

  it('tolerates a missing optional file and falls back to the unmerged decoder pair', async () => {
    const result = await pullModel('someone/unmerged', {cacheDir: cache, client: client()})
    expect(result.files.map((f) => f.path)).toContain('onnx/decoder_with_past_model.onnx')
    expect(fs.existsSync(path.join(cache, 'models--someone--unmerged', '.no_exist', result.commit!, 'tokenizer_config.json'))).toBe(true)
    expect(await resolveModel('someone/unmerged', {cacheDir: cache, client: client({offline: true})})).toBe(result.dir)
  })

  it('a per-part dtype fetches exactly the encoder and decoder it names', async () => {
    const result = await pullModel('someone/variants', {dtype: 'encoder=fp32,decoder=q4', cacheDir: cache, client: client()})
    expect(result.dtype).toEqual({encoder: 'fp32', decoder: 'q4'})
    expect(
      result.files
        .map((f) => f.path)
        .filter((p) => p.startsWith('onnx/'))
        .sort(),
    ).toEqual(['onnx/decoder_model_merged_q4.onnx', 'onnx/encoder_model.onnx'])
    const again = await resolveModelInfo('someone/variants', {
      dtype: 'encoder=fp32,decoder=q4',
      cacheDir: cache,
      client: client({offline: true}),
    })
    expect(again).toMatchObject({source: 'cache', dir: result.dir})
    // Neither part alone is a complete variant; a plain q4 is not in the cache.
    await expect(
      resolveModelInfo('someone/variants', {dtype: 'q4', cacheDir: cache, client: client({offline: true})}),
    ).rejects.toMatchObject({code: 'model-missing'})
    const repos = await listCachedRepos(cache)
    expect(repos.find((r) => r.repo === 'someone/variants')).toMatchObject({dtypes: [], parts: {encoder: ['fp32'], decoder: ['q4']}})
  })

  it('every published variant pulls by its transformers.js name', async () => {
    const suffixes = {fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4'}
    for (const [dtype, suffix] of Object.entries(suffixes)) {
      const result = await pullModel('someone/variants', {dtype, cacheDir: cache, client: client()})
      expect(
        result.files
          .map((f) => f.path)
          .filter((p) => p.startsWith('onnx/'))
          .sort(),
      ).toEqual([`onnx/decoder_model_merged${suffix}.onnx`, `onnx/encoder_model${suffix}.onnx`])
    }
    const repo = (await listCachedRepos(cache)).find((r) => r.repo === 'someone/variants')!
    expect(repo.dtypes).toEqual(['fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'])
  })

  it('a bad dtype is one usage line naming the bad piece', async () => {
    await expect(pullModel('someone/variants', {dtype: 'q3', cacheDir: cache, client: client()})).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(/q3/),
    })
    await expect(
      pullModel('someone/variants', {dtype: 'encoder=fp32,decoder=q5', cacheDir: cache, client: client()}),
    ).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(/decoder dtype "q5"/),
    })
    expect(hub.requests).toHaveLength(0)
  })

  it('a transformers 5 repository: processor_config.json instead of preprocessor_config.json', async () => {
    const result = await pullModel('someone/transformers5', {cacheDir: cache, client: client()})
    const paths = result.files.map((f) => f.path)
    expect(paths).toContain('processor_config.json')
    expect(paths).not.toContain('preprocessor_config.json')
    expect(await resolveModel('someone/transformers5', {cacheDir: cache, client: client({offline: true})})).toBe(result.dir)
  })

  it('offline: no request reaches the server', async () => {
    await expect(resolveModel('tiny.en', {cacheDir: cache, client: client({offline: true})})).rejects.toMatchObject({
      code: 'model-missing',
      details: {reason: 'not-cached', model: 'tiny.en', dtype: undefined},
    })
    await expect(pullModel('tiny.en', {cacheDir: cache, client: client(), offline: true})).rejects.toMatchObject({code: 'model-missing'})
    await expect(resolveModel('tiny.en', {cacheDir: cache, env: {HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '1'}})).rejects.toMatchObject({
      code: 'model-missing',
    })
    expect(hub.requests).toHaveLength(0)
  })

  it('resolveModel: local dir as is, cached without network, missing pulled with progress', async () => {
    expect(await resolveModel(work)).toBe(work)
    await expect(resolveModel('./no/such/dir')).rejects.toMatchObject({code: 'model-missing'})
    const events: ProgressEvent[] = []
    const first = await resolveModelInfo(undefined, {cacheDir: cache, client: client(), onProgress: (e) => events.push(e)})
    expect(first.source).toBe('download')
    expect(events.some((e) => e.type === 'progress')).toBe(true)
    hub.reset()
    const second = await resolveModelInfo('tiny.en', {cacheDir: cache, client: client()})
    // tiny.en's default: the fp32 encoder with the q8 decoder, exactly those two graphs.
    expect(second).toMatchObject({source: 'cache', dir: first.dir, dtype: {encoder: 'fp32', decoder: 'q8'}})
    expect(first.files.map((f) => f.path).filter((p) => p.startsWith('onnx/'))).toEqual([
      'onnx/encoder_model.onnx',
      'onnx/decoder_model_merged_quantized.onnx',
    ])
    expect(hub.requests).toHaveLength(0)
  })

  it('network down and disk full are one clear line each', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const down = new HubClient({endpoint: `http://127.0.0.1:${port}`, offline: false})
    await expect(pullModel('tiny.en', {cacheDir: cache, client: down})).rejects.toMatchObject({
      code: 'network',
      message: expect.stringMatching(/ECONNREFUSED/),
    })

    const meta = (await client().fileMetadata(REPO, 'main', 'onnx/encoder_model.onnx'))!
    const dest = path.join(cache, 'blob')
    const full = () =>
      new Writable({
        write(_chunk, _encoding, callback) {
          callback(Object.assign(new Error('ENOSPC: no space left on device'), {code: 'ENOSPC'}))
        },
      })
    await expect(
      downloadBlob({client: client(), url: meta.url, dest, file: 'enc', size: meta.size, etag: meta.etag, openWrite: full}),
    ).rejects.toMatchObject({
      code: 'disk-full',
    })
    expect(fs.existsSync(dest)).toBe(false)
    expect(fs.existsSync(`${dest}.incomplete`)).toBe(false)
  })
})
