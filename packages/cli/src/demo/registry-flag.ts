/**
 * `d2 demo --registry HOST:PORT`, checked before anything starts. Kept apart from the stack (stack.ts) so that the
 * command can reject a bad flag without loading the sandbox.
 */
import { InputError } from '@d2/core';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):\d{1,5}$/;

/** Validates `--registry HOST:PORT`: an anonymous registry on loopback (plain HTTP). */
export function checkRegistryFlag(value: string): string {
  const v = value.replace(/^(oci|https?):\/\//, '').replace(/\/+$/, '');
  if (!LOOPBACK.test(v)) {
    throw new InputError(`--registry must be HOST:PORT of a registry on loopback (127.0.0.1, localhost or [::1]), got '${value}'`, 'e.g. --registry 127.0.0.1:5000 (anonymous, plain HTTP); leave it out to start one');
  }
  return v;
}
