// Builds what many test files share once per run (generated models, audio fixtures) so workers don't race.
export default async function setup(): Promise<void> {}
