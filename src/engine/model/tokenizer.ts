import {Tokenizer as HfTokenizer} from '@huggingface/tokenizers'
import {WhisperStreamError} from '../errors.js'
import {readJsonFile} from './model-config.js'

/**
 * The part of @huggingface/tokenizers we use. Its declaration files import each other without
 * extensions, which NodeNext resolution cannot follow, so the package's own types arrive as `any`.
 */
interface Tokenizer {
  encode(text: string, options: {add_special_tokens: boolean}): {ids: number[]}
  decode(ids: number[], options: {skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean}): string
  token_to_id(token: string): number | undefined
  id_to_token(id: number): string | undefined
  get_vocab(withAddedTokens: boolean): Map<string, number>
}
const TokenizerClass = HfTokenizer as unknown as new (json: object, config: object) => Tokenizer

/** Whisper's BPE tokenizer, read from the model's tokenizer.json through @huggingface/tokenizers. */
export class WhisperTokenizer {
  readonly #tokenizer: Tokenizer
  /** added_tokens.json of older repos: tokens tokenizer.json may not know (timestamps, before 2023). */
  readonly #added: ReadonlyMap<string, number>
  readonly #addedById: ReadonlyMap<number, string>

  private constructor(tokenizer: Tokenizer, added: ReadonlyMap<string, number>) {
    this.#tokenizer = tokenizer
    this.#added = added
    this.#addedById = new Map([...added].map(([token, id]) => [id, token]))
  }

  static async load(dir: string): Promise<WhisperTokenizer> {
    const json = await readJsonFile(dir, 'tokenizer.json')
    const config = (await readJsonFile(dir, 'tokenizer_config.json', false)) ?? {}
    const added = new Map<string, number>()
    for (const [token, id] of Object.entries((await readJsonFile(dir, 'added_tokens.json', false)) ?? {})) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
        throw new WhisperStreamError('model-corrupt', `added_tokens.json: "${token}" must map to a token id, got ${JSON.stringify(id)}`, {
          hint: 'the file is damaged; pull the model again',
        })
      }
      added.set(token, id)
    }
    try {
      return new WhisperTokenizer(new TokenizerClass(json!, config), added)
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
    return this.#tokenizer.token_to_id(token) ?? this.#added.get(token)
  }

  idToToken(id: number): string | undefined {
    return this.#tokenizer.id_to_token(id) ?? this.#addedById.get(id)
  }

  /** Number of ids the tokenizer knows, added tokens (either file) included. */
  get size(): number {
    const vocab = this.#tokenizer.get_vocab(true)
    let extra = 0
    for (const [token] of this.#added) if (!vocab.has(token)) extra++
    return vocab.size + extra
  }
}
