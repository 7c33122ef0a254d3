import {Args} from '@oclif/core'
import {WhisperStreamError} from '../../engine/errors.js'
import {hubCacheDir, removeRepo} from '../../engine/store/hub-cache.js'
import {parseModelName} from '../../engine/store/repo-id.js'
import {formatBytes} from '../../ui/progress-bar.js'
import {BaseCommand} from '../../cli/base-command.js'

export default class ModelsRm extends BaseCommand {
  static override summary = 'Delete a model from the Hugging Face cache.'
  static override description =
    "Removes the whole cache folder of the model's repository (every dtype and revision), including files other tools downloaded into it. Never touches the network."
  static override examples = [
    '<%= config.bin %> <%= command.id %> tiny.en',
    '<%= config.bin %> <%= command.id %> onnx-community/whisper-base',
  ]
  static override args = {
    name: Args.string({description: 'Known name or Hugging Face repo id owner/name', required: true}),
  }

  async run(): Promise<{repo: string; freed: number}> {
    const {args} = await this.parse(ModelsRm)
    const {repo} = parseModelName(args.name)
    const freed = await removeRepo(hubCacheDir(), repo)
    if (freed === undefined)
      throw new WhisperStreamError('model-missing', `${args.name} is not in the cache (${hubCacheDir()})`, {
        hint: 'see `whisper-stream models list`',
      })
    this.log(`Removed ${repo} (${formatBytes(freed)} freed)`)
    return {repo, freed}
  }
}
