import { Inputs, NotImplementedError, runAction } from '@d2/core/action';
import { InputError } from '@d2/core';

export async function run(): Promise<void> {
  await runAction(async () => {
    const inputs = new Inputs();
    const components = inputs.list('components');
    const repository = inputs.string('repository');
    if (components.length === 0 && repository === '') {
      throw new InputError("input 'repository' is required when 'components' is empty", 'set repository: ghcr.io/<owner>/<repo>');
    }
    inputs.boolean('reproducible', true);
    inputs.boolean('sign', true);
    inputs.oneOf('signature-format', ['legacy', 'bundle', 'both'], 'legacy');
    throw new NotImplementedError('push-artifact');
  });
}
