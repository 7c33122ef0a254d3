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
        downloaded: Boolean(found && runnable(found.parts)),
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
        downloaded: runnable(found.parts),
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

/** Complete dtypes, then parts only a per-part choice can use ("encoder=fp32,decoder=q4", "+ decoder q4"). */
function downloadedColumn(model: ModelListing): string {
  const extra = (part: 'encoder' | 'decoder'): Dtype[] => model.parts[part].filter((dtype) => !model.dtypes.includes(dtype))
  const [encoders, decoders] = [extra('encoder'), extra('decoder')]
  const parts =
    encoders.length > 0 && decoders.length > 0
      ? [`encoder=${encoders.join('|')},decoder=${decoders.join('|')}`]
      : [
          ...(encoders.length > 0 ? [`+ encoder ${encoders.join(',')}`] : []),
          ...(decoders.length > 0 ? [`+ decoder ${decoders.join(',')}`] : []),
        ]
  const shown = [model.dtypes.join(','), ...parts].filter(Boolean).join(' ')
  return shown || (model.size > 0 ? 'partial' : '-')
}

/** Some encoder and some decoder are there: a per-part choice (the default of tiny and base) can run. */
const runnable = (parts: {encoder: Dtype[]; decoder: Dtype[]}): boolean => parts.encoder.length > 0 && parts.decoder.length > 0
