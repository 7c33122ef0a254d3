import {Args, Flags} from '@oclif/core'
import {DEFAULT_MODEL, DTYPES, formatDtype} from '../../engine/store/registry.js'
import {formatBytes, stderrProgress} from '../../ui/progress-bar.js'
import {pullModel, type ResolvedModel} from '../../engine/store/resolve-model.js'
import {BaseCommand} from '../../cli/base-command.js'

export default class ModelsPull extends BaseCommand {
  static override summary = 'Download a model into the Hugging Face cache.'
  static override description = `Fetches only the files the chosen dtype needs from the Hugging Face hub (HF_ENDPOINT, default https://huggingface.co) into the standard hub cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub), where Python tools find them too. Files already there are not fetched again; an interrupted download resumes. Set HF_TOKEN for private or gated repositories. Prints the model directory on stdout; progress goes to stderr.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> base.en --dtype q8',
    '<%= config.bin %> <%= command.id %> onnx-community/whisper-small@main --dtype fp16',
  ]
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({
      description: 'Known name (see `models list`) or Hugging Face repo id owner/name[@revision]',
      default: DEFAULT_MODEL,
    }),
  }
  static override flags = {
    dtype: Flags.string({
      description: `Weight variant to download: ${DTYPES.join(', ')}, or per part encoder=DTYPE,decoder=DTYPE (default: the model's own choice). Only the files it needs are fetched.`,
      helpValue: 'DTYPE|encoder=DTYPE,decoder=DTYPE',
    }),
    revision: Flags.string({description: 'Branch, tag or commit', default: 'main'}),
  }

  async run(): Promise<ResolvedModel> {
    const {args, flags} = await this.parse(ModelsPull)
    const result = await pullModel(args.name, {
      dtype: flags.dtype,
      revision: flags.revision,
      onProgress: this.jsonEnabled() ? undefined : stderrProgress(process.stderr),
    })
    if (!this.jsonEnabled()) {
      const fetched = result.files.filter((file) => !file.cached)
      const bytes = fetched.reduce((sum, file) => sum + file.size, 0)
      process.stderr.write(
        `${args.name} (${result.dtype ? formatDtype(result.dtype) : 'fp32'}) ready: ${fetched.length === 0 ? 'already in the cache' : `${fetched.length} file(s), ${formatBytes(bytes)} downloaded`}\n`,
      )
      this.log(result.dir)
    }
    return result
  }
}
