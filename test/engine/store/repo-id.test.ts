import {describe, expect, it} from 'vitest'
import {isWhisperStreamError} from '../../../src/engine/errors.js'
import {editDistance, nearestName, parseModelName, validateRepoId} from '../../../src/engine/store/repo-id.js'

const errorOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('repo ids and names', () => {
  it('maps friendly names to repositories', () => {
    expect(parseModelName('tiny.en')).toMatchObject({repo: 'onnx-community/whisper-tiny.en', revision: 'main'})
    expect(parseModelName('distil-small.en').repo).toBe('distil-whisper/distil-small.en')
    expect(parseModelName('owner/some-model@v1.0')).toMatchObject({repo: 'owner/some-model', revision: 'v1.0'})
  })

  it('accepts repo ids huggingface_hub accepts', () => {
    for (const id of ['onnx-community/whisper-tiny.en', 'a/b', 'Org_1/model.v2']) expect(validateRepoId(id)).toBe(id)
  })

  it.each([
    '../etc/passwd',
    '/abs/path',
    'owner/../x',
    'a/b/c',
    'owner/na--me',
    'owner/name.git',
    'own er/name',
    'owner/na$me',
    'owner/',
    '-x/y',
    'x/.y',
    'x/' + 'a'.repeat(97),
  ])('rejects %s', (id) => {
    const error = errorOf(() => validateRepoId(id))
    expect(isWhisperStreamError(error) && error.code).toBe('model-unknown')
  })

  it('rejects odd revisions', () => {
    for (const revision of ['../x', 'a/../b', 'x y', '/abs']) expect(() => parseModelName('a/b', revision)).toThrow(/revision/i)
  })

  it('suggests the nearest known name for a typo', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(nearestName('tiny.em')).toBe('tiny.en')
    expect(nearestName('whisper-base.en')).toBe('base.en')
    expect(nearestName('large-v3-trubo')).toBe('large-v3-turbo')
    expect(nearestName('completely-different-thing')).toBeUndefined()
    const error = errorOf(() => parseModelName('smal.en'))
    expect(isWhisperStreamError(error) && error.line).toMatch(/Unknown model "smal.en".*did you mean "small.en"/)
  })
})
