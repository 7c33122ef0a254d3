export {ComplexFft, RealFft, factorize} from './fft.js'
export {LogMel, periodicHann} from './log-mel.js'
export {
  WHISPER_MAX_FREQUENCY,
  WHISPER_MIN_FREQUENCY,
  hertzToMelSlaney,
  melFilterBank,
  melFiltersFor,
  melToHertzSlaney,
  toSparse,
  type SparseMelFilters,
} from './mel-filters.js'
export {parsePreprocessorConfig, type PreprocessorConfig} from './preprocessor-config.js'
