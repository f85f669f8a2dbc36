import { Inputs, NotImplementedError, runAction } from '@d2/core/action';

export async function run(): Promise<void> {
  await runAction(async () => {
    const inputs = new Inputs();
    inputs.boolean('draft', false);
    inputs.oneOf('auto-merge', ['false', 'merge', 'squash', 'rebase'], 'false');
    throw new NotImplementedError('image-updates-pr');
  });
}
