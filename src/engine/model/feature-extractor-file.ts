import {WhisperStreamError} from '../errors.js'
import {parsePreprocessorConfig, type PreprocessorConfig} from '../features/preprocessor-config.js'
import {readJsonFile} from './model-config.js'

/**
 * The feature extractor's settings: preprocessor_config.json (transformers 4 and every
 * onnx-community export), else transformers 5's processor_config.json, which nests them under
 * "feature_extractor".
 */
export async function readFeatureExtractorConfig(dir: string): Promise<PreprocessorConfig> {
  const preprocessor = await readJsonFile(dir, 'preprocessor_config.json', false)
  if (preprocessor) return parsePreprocessorConfig(preprocessor, 'preprocessor_config.json')
  const processor = await readJsonFile(dir, 'processor_config.json', false)
  if (!processor) {
    throw new WhisperStreamError(
      'model-missing',
      `model file missing: ${dir}/preprocessor_config.json (nor is there a processor_config.json)`,
      {
        hint: 'the model directory is incomplete; pull the model again',
        details: {reason: 'model-incomplete'},
      },
    )
  }
  const nested = processor['feature_extractor']
  if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) {
    throw new WhisperStreamError(
      'model-corrupt',
      'processor_config.json: "feature_extractor" must be an object holding the feature extractor\'s settings',
      {
        hint: 'the model directory does not look like a Hugging Face Whisper export',
      },
    )
  }
  return parsePreprocessorConfig(nested, 'processor_config.json (feature_extractor)')
}
