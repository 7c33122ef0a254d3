import {Tokenizer} from '@huggingface/tokenizers'
import {WhisperStreamError} from '../errors.js'
import {readJsonFile} from './model-config.js'

/** Whisper's BPE tokenizer, read from the model's tokenizer.json through @huggingface/tokenizers. */
export class WhisperTokenizer {
  readonly #tokenizer: Tokenizer

  private constructor(tokenizer: Tokenizer) {
    this.#tokenizer = tokenizer
  }

  static async load(dir: string): Promise<WhisperTokenizer> {
    const json = await readJsonFile(dir, 'tokenizer.json')
    const config = (await readJsonFile(dir, 'tokenizer_config.json', false)) ?? {}
    try {
      return new WhisperTokenizer(new Tokenizer(json!, config))
    } catch (error) {
      throw new WhisperStreamError('model-corrupt', `tokenizer.json in ${dir} cannot be read: ${(error as Error).message}`, {
        hint: 'the tokenizer file is damaged or not a Hugging Face tokenizer; pull the model again',
        cause: error,
      })
    }
  }

  /** Text to ids without special tokens, as prompts need. */
  encode(text: string): number[] {
    return this.#tokenizer.encode(text, {add_special_tokens: false}).ids
  }

  /** Ids to text; special tokens are dropped. */
  decode(ids: readonly number[]): string {
    return this.#tokenizer.decode(ids as number[], {skip_special_tokens: true, clean_up_tokenization_spaces: false})
  }

  tokenToId(token: string): number | undefined {
    return this.#tokenizer.token_to_id(token)
  }

  idToToken(id: number): string | undefined {
    return this.#tokenizer.id_to_token(id)
  }

  /** Number of ids the tokenizer knows, added tokens included. */
  get size(): number {
    return this.#tokenizer.get_vocab(true).size
  }
}
