import { Inputs, NotImplementedError, runAction } from '@d2/core/action';

export async function run(): Promise<void> {
  await runAction(async () => {
    const inputs = new Inputs();
    inputs.oneOf('mode', ['component', 'fleet'], 'component');
    inputs.boolean('allow-downgrade', false);
    inputs.boolean('overwrite-version', false);
    throw new NotImplementedError('release-artifact');
  });
}
