import {Args, Flags} from '@oclif/core'
import {DEFAULT_MODEL, DTYPES} from '../../engine/store/registry.js'
import {resolveModelInfo} from '../../engine/store/resolve-model.js'
import {BaseCommand} from '../../cli/base-command.js'

export default class ModelsPath extends BaseCommand {
  static override summary = 'Print the directory of a downloaded model.'
  static override description =
    'Prints the snapshot directory of a model in the Hugging Face cache (config.json, tokenizer.json, onnx/…). Never touches the network; a model not yet downloaded is an error that says how to get it.'
  static override examples = ['<%= config.bin %> <%= command.id %> tiny.en', 'ls "$(<%= config.bin %> <%= command.id %> base.en)/onnx"']
  static override args = {
    name: Args.string({description: 'Known name or Hugging Face repo id owner/name[@revision]', default: DEFAULT_MODEL}),
  }
  static override flags = {
    dtype: Flags.string({
      description: `Require the files of this variant: ${DTYPES.join(', ')}, or encoder=DTYPE,decoder=DTYPE`,
      helpValue: 'DTYPE|encoder=DTYPE,decoder=DTYPE',
    }),
  }

  async run(): Promise<string> {
    const {args, flags} = await this.parse(ModelsPath)
    const {dir} = await resolveModelInfo(args.name, {dtype: flags.dtype, offline: true})
    this.log(dir)
    return dir
  }
}
