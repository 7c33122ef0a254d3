import {REGISTRY, approximateSize, formatDtype, type Dtype} from '../../engine/store/registry.js'
import {hubCacheDir, listCachedRepos} from '../../engine/store/hub-cache.js'
import {formatBytes} from '../../ui/progress-bar.js'
import {textTable} from '../../output/text-table.js'
import {BaseCommand} from '../../cli/base-command.js'

export interface ModelListing {
  name: string
  repo: string
  description?: string
  known: boolean
  downloaded: boolean
  /** dtypes complete (both parts) in the cached snapshot. */
  dtypes: Dtype[]
  /** dtypes present per part: a per-part --dtype (encoder=…,decoder=…) can combine these. */
  parts: {encoder: Dtype[]; decoder: Dtype[]}
  /** Bytes on disk when downloaded. */
  size: number
  /** The dtype pulled when none is named, for known names ("q8" or "encoder=fp32,decoder=q8"). */
  defaultDtype?: string
  /** Approximate download size per published dtype, for known names. */
  approximateSizes?: Record<string, number>
  path?: string
}

export default class ModelsList extends BaseCommand {
  static override summary = 'List known models and what is downloaded.'
  static override description =
    'Shows every known name with its Hugging Face repository, the dtypes already in the cache and the space they take; repositories in the cache that have no known name (downloaded by other tools, or pulled by repo id) are listed too. Never touches the network.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override enableJsonFlag = true

  async run(): Promise<{cache: string; models: ModelListing[]}> {
    await this.parse(ModelsList)
    const cache = hubCacheDir()
    const cached = await listCachedRepos(cache)
    const byRepo = new Map(cached.map((repo) => [repo.repo.toLowerCase(), repo]))
    const models: ModelListing[] = REGISTRY.map((entry) => {
      const found = byRepo.get(entry.repo.toLowerCase())
      byRepo.delete(entry.repo.toLowerCase())
      return {
        name: entry.name,
        repo: entry.repo,
        description: entry.description,
        known: true,
        downloaded: Boolean(found && found.dtypes.length > 0),
        dtypes: found?.dtypes ?? [],
        parts: found?.parts ?? {encoder: [], decoder: []},
        size: found?.size ?? 0,
        defaultDtype: formatDtype(entry.defaultDtype),
        approximateSizes: {
          ...Object.fromEntries(entry.dtypes.map((dtype) => [dtype, approximateSize(entry, dtype)])),
          [formatDtype(entry.defaultDtype)]: approximateSize(entry, entry.defaultDtype),
        },
        path: found?.snapshot,
      }
    })
    for (const found of byRepo.values())
      models.push({
        name: found.repo,
        repo: found.repo,
        known: false,
        downloaded: found.dtypes.length > 0,
        dtypes: found.dtypes,
        parts: found.parts,
        size: found.size,
        path: found.snapshot,
      })
    if (!this.jsonEnabled()) this.printTable(models, cache)
    return {cache, models}
  }

  private printTable(models: ModelListing[], cache: string): void {
    const rows = models.map((model) => [
      model.name,
      model.repo,
      downloadedColumn(model),
      model.size > 0
        ? formatBytes(model.size)
        : model.defaultDtype
          ? `~${formatBytes(model.approximateSizes?.[model.defaultDtype] ?? 0)} (${model.defaultDtype})`
          : '',
    ])
    this.log(textTable(['NAME', 'REPOSITORY', 'DOWNLOADED', 'SIZE'], rows))
    this.log(`\ncache: ${cache}`)
  }
}

/** Complete dtypes, then parts that only a per-part choice can use ("+ decoder q4"). */
function downloadedColumn(model: ModelListing): string {
  const extra = (['encoder', 'decoder'] as const)
    .map((part) => [part, model.parts[part].filter((dtype) => !model.dtypes.includes(dtype))] as const)
    .filter(([, dtypes]) => dtypes.length > 0)
    .map(([part, dtypes]) => `+ ${part} ${dtypes.join(',')}`)
  const complete = model.dtypes.join(',')
  if (complete || extra.length > 0) return [complete, ...extra].filter(Boolean).join(' ')
  return model.size > 0 ? 'partial' : '-'
}
