import * as fs from 'node:fs'
import {tmpdir} from 'node:os'
import * as path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'
import {fakeModelFiles, startFakeHub, type FakeHub} from '../helpers/fake-hub.js'
import {repoRoot, testModelDir} from '../helpers/test-models.js'

const REPO = 'onnx-community/whisper-tiny.en'
let hub: FakeHub
let work: string
let cache: string

/** Builds dist/ unless it is newer than every source file these commands use. */
function buildIfStale(): Promise<unknown> | undefined {
  const target = path.join(repoRoot, 'dist/src/commands/models/pull.js')
  const built = fs.existsSync(target) ? fs.statSync(target).mtimeMs : 0
  const sources = ['src/engine/store', 'src/commands/models', 'src/ui/progress-bar.ts', 'src/engine/errors.ts'].flatMap((p) => {
    const full = path.join(repoRoot, p)
    return fs.statSync(full).isDirectory() ? fs.readdirSync(full).map((f) => path.join(full, f)) : [full]
  })
  if (sources.every((file) => fs.statSync(file).mtimeMs < built)) return undefined
  return execa('npm', ['run', '--silent', 'build'], {cwd: repoRoot, reject: false})
}

const cli = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [path.join(repoRoot, 'bin/run.js'), ...args], {
    reject: false,
    env: {HF_HUB_CACHE: cache, HF_ENDPOINT: hub.url, HF_TOKEN: '', HF_HUB_OFFLINE: '', ...env},
    extendEnv: true,
  })

beforeAll(async () => {
  await buildIfStale()
  work = fs.mkdtempSync(path.join(tmpdir(), 'ws-models-cli-'))
  hub = await startFakeHub({root: path.join(work, 'hub')})
  // The generated test model when a colleague's generator has made it, else small stand-in files.
  const mini = testModelDir('mini')
  if (fs.existsSync(mini)) {
    for (const file of [
      'config.json',
      'generation_config.json',
      'preprocessor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/encoder_model.onnx',
      'onnx/decoder_model_merged.onnx',
    ])
      hub.addRepo(REPO, {[file]: fs.readFileSync(path.join(mini, file))})
    // tiny.en's default decoder is q8 (README "Weight variants"); these bytes stand in for it.
    hub.addRepo(REPO, {'onnx/decoder_model_merged_quantized.onnx': fs.readFileSync(path.join(mini, 'onnx/decoder_model_merged.onnx'))})
  } else hub.addRepo(REPO, fakeModelFiles({suffixes: ['', '_quantized']}))
  hub.addRepo('private/model', fakeModelFiles())
})
afterAll(async () => {
  await hub?.close()
  fs.rmSync(work, {recursive: true, force: true})
})
beforeEach(() => {
  hub.reset()
  hub.token = undefined
  cache = fs.mkdtempSync(path.join(work, 'cache-'))
})

describe('whisper-stream models', () => {
  it('pull, list, path, rm', async () => {
    const pull = await cli(['models', 'pull', 'tiny.en'])
    expect(pull.stderr).toBe(pull.stderr.replaceAll('\r', '')) // not a TTY: plain lines, no redraws
    expect(pull.exitCode).toBe(0)
    const dir = pull.stdout.trim()
    expect(dir).toBe(path.join(cache, 'models--onnx-community--whisper-tiny.en', 'snapshots', hub.commitOf(REPO)))
    expect(pull.stderr).toMatch(/^onnx\/encoder_model.onnx {2}\S+ \w+ {2}in /m)
    expect(pull.stderr).toMatch(/tiny.en \(encoder=fp32,decoder=q8\) ready: 7 file\(s\)/)
    // Buffer.equals: toEqual walks a 14 MB buffer element by element.
    const same = (file: string) => fs.readFileSync(path.join(dir, file)).equals(fs.readFileSync(path.join(hub.root, REPO, file)))
    expect(same('onnx/decoder_model_merged_quantized.onnx') && same('tokenizer.json')).toBe(true)

    const list = await cli(['models', 'list', '--json'])
    expect(list.exitCode).toBe(0)
    const {models} = JSON.parse(list.stdout) as {
      models: {name: string; downloaded: boolean; dtypes: string[]; size: number; path?: string}[]
    }
    expect(models.find((m) => m.name === 'tiny.en')).toMatchObject({
      downloaded: true,
      dtypes: [],
      parts: {encoder: ['fp32'], decoder: ['q8']},
      path: dir,
    })
    expect(models.find((m) => m.name === 'tiny.en')!.size).toBeGreaterThan(0)
    expect(models.find((m) => m.name === 'base')).toMatchObject({downloaded: false, dtypes: []})
    const table = await cli(['models', 'list'])
    expect(table.stdout).toMatch(/^tiny\.en\s+onnx-community\/whisper-tiny\.en\s+encoder=fp32,decoder=q8\s+\S+/m)

    hub.reset()
    const again = await cli(['models', 'pull', 'tiny.en'])
    expect(again.stderr).toMatch(/already in the cache/)
    expect(hub.requests.every((r) => r.method === 'HEAD')).toBe(true)

    expect((await cli(['models', 'path', 'tiny.en'])).stdout.trim()).toBe(dir)
    const rm = await cli(['models', 'rm', 'tiny.en'])
    expect(rm.exitCode).toBe(0)
    expect(rm.stdout).toMatch(/Removed onnx-community\/whisper-tiny.en/)
    expect(fs.existsSync(dir)).toBe(false)
    const gone = await cli(['models', 'path', 'tiny.en'])
    expect(gone.exitCode).toBe(4)
    expect(gone.stderr).toMatch(/whisper-stream models pull tiny.en/)
    expect((await cli(['models', 'rm', 'tiny.en'])).exitCode).toBe(4)
  })

  it('offline: nothing reaches the server, one line says how to get the model', async () => {
    const result = await cli(['models', 'pull', 'tiny.en'], {HF_HUB_OFFLINE: '1'})
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toMatch(
      /^whisper-stream: Model tiny.en \(encoder=fp32,decoder=q8\) is not in the cache.*\(run `whisper-stream models pull tiny.en` while online\)$/,
    )
    expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
    expect(hub.requests).toHaveLength(0)
  })

  it('unknown names suggest the nearest; bad repo ids are refused', async () => {
    const typo = await cli(['models', 'pull', 'tiny.em'])
    expect(typo.exitCode).toBe(4)
    expect(typo.stderr).toMatch(/Unknown model "tiny.em".*did you mean "tiny.en"/)
    for (const bad of ['owner/..', 'a/b/../../c']) {
      const result = await cli(['models', 'pull', bad])
      expect(result.exitCode).not.toBe(0)
      expect(result.stderr).toMatch(/Invalid repository id|No model directory|Unknown model/)
    }
    expect(hub.requests).toHaveLength(0)
    expect(fs.readdirSync(cache)).toEqual([])
  })

  it('404, 401 (and HF_TOKEN), checksum: one clear line and a non-zero exit', async () => {
    const missing = await cli(['models', 'pull', 'nobody/nothing'])
    expect(missing.exitCode).toBe(5)
    expect(missing.stderr).toMatch(/Repository not found: nobody\/nothing/)

    hub.token = 'hf_secret'
    const denied = await cli(['models', 'pull', 'private/model'])
    expect(denied.exitCode).toBe(5)
    expect(denied.stderr).toMatch(/HF_TOKEN/)
    const allowed = await cli(['models', 'pull', 'private/model'], {HF_TOKEN: 'hf_secret'})
    expect(allowed.exitCode).toBe(0)

    hub.token = undefined
    hub.corrupt('onnx/encoder_model.onnx')
    const corrupt = await cli(['models', 'pull', 'tiny.en'])
    expect(corrupt.exitCode).toBe(5)
    expect(corrupt.stderr).toMatch(/Checksum mismatch for onnx\/encoder_model.onnx/)
    expect(fs.existsSync(path.join(cache, 'models--onnx-community--whisper-tiny.en', 'snapshots'))).toBe(false)
  })
})
