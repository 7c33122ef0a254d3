// --version and --help read oclif.manifest.json instead of importing every command; a stale manifest
// would show flags a command no longer has (or hide new ones), so it must match the built commands.
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import * as path from 'node:path'
import {pathToFileURL} from 'node:url'
import {beforeAll, describe, expect, it} from 'vitest'
import {ensureBuilt} from '../helpers/cli.js'
import {repoRoot} from '../helpers/test-models.js'

interface ManifestCommand {
  flags: Record<string, unknown>
  args: Record<string, unknown>
  relativePath: string[]
}

const commandsDir = path.join(repoRoot, 'dist/src/commands')

function commandIds(dir = commandsDir, prefix: string[] = []): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    if (entry.isDirectory()) return commandIds(path.join(dir, entry.name), [...prefix, entry.name])
    return entry.name.endsWith('.js') ? [[...prefix, entry.name.slice(0, -3)].join(':')] : []
  })
}

beforeAll(ensureBuilt)

describe('oclif manifest', () => {
  it('lists every built command with the flags and args its class declares', async () => {
    const file = path.join(repoRoot, 'oclif.manifest.json')
    expect(existsSync(file)).toBe(true)
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as {commands: Record<string, ManifestCommand>}
    const ids = commandIds().sort()
    expect(Object.keys(manifest.commands).sort()).toEqual(ids)
    for (const id of ids) {
      const entry = manifest.commands[id]!
      const module = (await import(pathToFileURL(path.join(repoRoot, ...entry.relativePath)).href)) as {
        default: {flags?: object; baseFlags?: object; enableJsonFlag?: boolean; args?: object}
      }
      const command = module.default
      const declared = new Set([
        ...Object.keys(command.baseFlags ?? {}),
        ...Object.keys(command.flags ?? {}),
        ...(command.enableJsonFlag ? ['json'] : []),
      ])
      expect(Object.keys(entry.flags).sort(), id).toEqual([...declared].sort())
      expect(Object.keys(entry.args).sort(), id).toEqual(Object.keys(command.args ?? {}).sort())
    }
  })
})
