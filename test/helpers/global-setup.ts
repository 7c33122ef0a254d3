import {testModel} from './test-models.js'

// Builds what many test files share once per run (generated models, audio fixtures) so workers don't race.
export default async function setup(): Promise<void> {
  await testModel('mini')
  await testModel('mini-split')
  await testModel('mini-multilingual-128')
}
