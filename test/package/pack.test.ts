// The package users install works: `npm pack`, the tarball installed into an empty folder offline
// from the npm cache (as a user with no network would), then what users run, run from there.
// Slow-ish (the install unpacks onnxruntime-node); every step has a generous timeout and no timing check.
import {copyFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa, type Options} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {speech} from '../helpers/audio-fixtures.js'
import {ensureBuilt, expectOneLineError, finalsOf} from '../helpers/cli.js'
import {repoRoot, testModel} from '../helpers/test-models.js'

let work: string
let app: string
let bin: string
let tarballFiles: string[]
let model: string
let variants: string
let wav: string

const STEP_TIMEOUT_MS = 300_000

/** Runs a command in the installed app; never rejects (look at exitCode). */
async function run(
  file: string,
  args: string[],
  options: Options = {},
): Promise<{exitCode: number | undefined; stdout: string; stderr: string}> {
  const result = await execa(file, args, {
    cwd: app,
    reject: false,
    timeout: STEP_TIMEOUT_MS,
    stripFinalNewline: false,
    extendEnv: true,
    env: {
      // vitest sets NODE_ENV=test, which sends oclif looking for TypeScript sources a user never has.
      NODE_ENV: '',
      NO_COLOR: '1',
      WHISPER_STREAM_DEBUG: '',
      WHISPER_STREAM_MODEL: '',
      HF_HUB_OFFLINE: '1',
      HF_HOME: path.join(work, 'hf'),
      XDG_CACHE_HOME: path.join(work, 'cache'),
    },
    ...options,
  })
  return {exitCode: result.exitCode, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '')}
}

const cliRun = (args: string[]) => run(process.execPath, [bin, ...args])

interface LockEntry {
  version?: string
  resolved?: string
  dev?: boolean
  dependencies?: Record<string, string>
  [key: string]: unknown
}

/**
 * A lockfile for the app: the tarball, and the repository's lockfile entries of whisper-stream's
 * runtime dependencies. The npm cache holds the tarballs `npm ci` fetched but no registry metadata,
 * so an offline install resolves from a lockfile or not at all (a user online needs neither).
 */
async function appLock(
  appPackage: {name: string; version: string; dependencies: Record<string, string>},
  dependency: string,
): Promise<object> {
  const repoLock = JSON.parse(await readFile(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {packages: Record<string, LockEntry>}
  const {'': root, ...entries} = repoLock.packages
  const packages: Record<string, LockEntry> = {
    '': {name: appPackage.name, version: appPackage.version, dependencies: appPackage.dependencies},
    'node_modules/whisper-stream': {
      version: root!.version,
      resolved: dependency,
      license: root!['license'],
      dependencies: root!.dependencies,
      bin: root!['bin'],
      engines: root!['engines'],
    },
  }
  for (const [at, entry] of Object.entries(entries)) if (!entry.dev) packages[at] = entry
  return {name: appPackage.name, version: appPackage.version, lockfileVersion: 3, requires: true, packages}
}

beforeAll(async () => {
  await ensureBuilt()
  ;[model, variants, wav] = await Promise.all([
    testModel('mini'),
    testModel('mini-variants'),
    speech('the quick brown fox jumps over the lazy dog.'),
  ])
  work = await mkdtemp(path.join(tmpdir(), 'ws-pack-'))
  app = path.join(work, 'app')
  // dist/ is built (npm test's pretest, or ensureBuilt above); prepare would only build it again.
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {cwd: repoRoot})
  const [info] = JSON.parse(packed.stdout) as Array<{filename: string; files: Array<{path: string}>}>
  tarballFiles = info!.files.map((f) => f.path)
  await mkdir(app)
  const dependency = `file:../${info!.filename}`
  const appPackage = {name: 'pack-install-test', version: '1.0.0', private: true, dependencies: {'whisper-stream': dependency}}
  await writeFile(path.join(app, 'package.json'), JSON.stringify(appPackage))
  await writeFile(path.join(app, 'package-lock.json'), JSON.stringify(await appLock(appPackage, dependency)))
  // onnxruntime-node's install script would fetch CUDA binaries; the CPU build is bundled.
  await copyFile(path.join(repoRoot, '.npmrc'), path.join(app, '.npmrc'))
  await execa('npm', ['install', '--offline', '--no-audit', '--no-fund'], {cwd: app, timeout: STEP_TIMEOUT_MS})
  bin = path.join(app, 'node_modules', 'whisper-stream', 'bin', 'run.js')
}, 600_000)

afterAll(async () => {
  if (work) await rm(work, {recursive: true, force: true})
})

describe('npm pack', () => {
  it('ships the CLI, the engine, bench and the web page; not tests, sources, maps or the model generator', () => {
    for (const file of [
      'bin/run.js',
      'oclif.manifest.json',
      'dist/src/engine/index.js',
      'dist/src/engine/index.d.ts',
      'dist/src/commands/transcribe.js',
      'dist/bench/run.js',
      'src/server/web/index.html',
    ]) {
      expect(tarballFiles).toContain(file)
    }
    expect(tarballFiles.filter((f) => /^(test|models|bench|src\/(?!server\/web))\/|\.map$|^dist\/models\//.test(f))).toEqual([])
  })
})

describe('the installed package', () => {
  it('runs --help of every command without a warning', async () => {
    const manifest = JSON.parse(await readFile(path.join(app, 'node_modules/whisper-stream/oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, unknown>
    }
    const commands = Object.keys(manifest.commands).map((id) => id.split(':'))
    expect(commands.map((c) => c.join(' '))).toEqual(expect.arrayContaining(['transcribe', 'mic', 'serve', 'bench', 'models list']))
    for (const args of [[], ...commands]) {
      const result = await cliRun([...args, '--help'])
      expect(result.stderr, args.join(' ')).toBe('')
      expect(result.exitCode, args.join(' ')).toBe(0)
      expect(result.stdout).toMatch(/USAGE/)
    }
  })

  it('transcribes a wav with a generated model', async () => {
    const result = await cliRun(['transcribe', wav, '--model', model])
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(finalsOf(result.stdout).length).toBeGreaterThan(0)
  })

  it('transcribes with an 8-bit decoder (its logits rewrite needs onnx-proto at run time)', async () => {
    const result = await cliRun(['transcribe', wav, '--model', variants, '--dtype', 'encoder=fp32,decoder=q8'])
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(finalsOf(result.stdout).length).toBeGreaterThan(0)
  })

  it('lists models', async () => {
    const result = await cliRun(['models', 'list'])
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toMatch(/tiny\.en/)
  })

  it('runs bench --scenario decode at a tiny size', async () => {
    const result = await cliRun(['bench', '--scenario', 'decode', '--model', model, '--decode-tokens', '4,8', '--threads', '1', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const report = JSON.parse(result.stdout) as {decode: {rows: Array<{tokens: number}>}}
    expect(report.decode.rows.map((r) => r.tokens)).toEqual([4, 8])
  })

  it('says in one line that bench without --model needs the development tools', async () => {
    expectOneLineError(await cliRun(['bench', '--scenario', 'decode']), 2, /--model/)
  })

  it('exports the engine API and nothing under dist/', async () => {
    const script = `
      const api = await import('whisper-stream')
      console.log(JSON.stringify(Object.keys(api).sort()))
      try { await import('whisper-stream/dist/src/engine/model/whisper-model.js'); console.log('deep import allowed') }
      catch (error) { console.log(error.code) }`
    const result = await run(process.execPath, ['--input-type=module', '-e', script])
    expect(result.stderr).toBe('')
    const [names, deep] = result.stdout.trim().split('\n')
    expect(JSON.parse(names!)).toEqual(
      expect.arrayContaining(['Engine', 'Streamer', 'openAudio', 'pullModel', 'resolveModel', 'WhisperStreamError']),
    )
    expect(JSON.parse(names!)).not.toContain('WhisperModel')
    expect(deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED')
  })
})
