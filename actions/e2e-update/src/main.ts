import { Inputs, NotImplementedError, runAction } from '@d2/core/action';

export async function run(): Promise<void> {
  await runAction(async () => {
    const inputs = new Inputs();
    inputs.boolean('dry-run', false);
    inputs.boolean('fail-on-policy-error', false);
    throw new NotImplementedError('e2e-update');
  });
}
