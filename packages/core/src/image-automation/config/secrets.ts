/**
 * Secrets for Flux post-build substitution without a cluster (docs/image-automation.md "postBuild.substituteFrom
 * Secrets"): a Kustomization's `substituteFrom` may name a Secret, whose keys are substitution variables. The Secret
 * never lives in git; the `substitute-secrets` input names, for each key, the environment variable of the job that
 * holds its value, one `<namespace>/<secret-name>.<key>=<ENV_VAR>` per line (`=<ENV_VAR>` may be left out when the
 * variable has the key's name). Values are read from the environment only, and never appear in messages.
 */
import { InputError } from '../../errors.js';

/** Secret data by `namespace/name`: key → value. */
export type SecretData = ReadonlyMap<string, Readonly<Record<string, string>>>;

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A key that `${KEY}` can name (kustomize-controller's envsubst variable syntax). */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SubstituteSecrets {
  data: SecretData;
  /** Every value (to register as secrets and redact). */
  values: string[];
}

/**
 * Parses `substitute-secrets` and reads the values from `env`. Errors (bad line, invalid name, unset or empty
 * variable, key mapped twice) name the line, the secret key and the variable, never a value.
 */
export function parseSubstituteSecrets(raw: string, env: Readonly<Record<string, string | undefined>>, input = 'substitute-secrets'): SubstituteSecrets {
  const data = new Map<string, Record<string, string>>();
  const values: string[] = [];
  const example = 'e.g. apps/cluster-secrets.DB_PASSWORD=DB_PASSWORD, with env: DB_PASSWORD: ${{ secrets.DB_PASSWORD }} on the step';
  raw.split(/\r?\n/).forEach((line, i) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return;
    const where = `${input.startsWith('--') ? input : `input '${input}'`}, line ${i + 1}`;
    const eq = text.indexOf('=');
    const ref = (eq < 0 ? text : text.slice(0, eq)).trim();
    const slash = ref.indexOf('/');
    const dot = ref.lastIndexOf('.');
    if (slash <= 0 || dot <= slash + 1 || dot === ref.length - 1) throw new InputError(`${where}: expected <namespace>/<secret-name>.<key>[=<ENV_VAR>], got '${ref}'`, example);
    const namespace = ref.slice(0, slash);
    const name = ref.slice(slash + 1, dot);
    const key = ref.slice(dot + 1);
    if (!NAMESPACE.test(namespace) || namespace.length > 63) throw new InputError(`${where}: '${namespace}' is not a valid namespace`, example);
    if (!NAME.test(name) || name.length > 253) throw new InputError(`${where}: '${name}' is not a valid Secret name`, example);
    if (!VARIABLE.test(key)) throw new InputError(`${where}: key '${key}' cannot be used as a substitution variable`, 'keys are variable names: letters, digits and _, not starting with a digit');
    const variable = eq < 0 ? key : text.slice(eq + 1).trim();
    if (!VARIABLE.test(variable)) throw new InputError(`${where}: '${variable}' is not an environment variable name`, example);
    const value = env[variable];
    if (value === undefined) throw new InputError(`${where}: environment variable ${variable} (for ${namespace}/${name}.${key}) is not set`, `add env: ${variable}: \${{ secrets.… }} to the step`);
    if (value === '') throw new InputError(`${where}: environment variable ${variable} (for ${namespace}/${name}.${key}) is empty`, 'a secret that does not exist expands to an empty string: check the secret name');
    const secret = data.get(`${namespace}/${name}`) ?? {};
    if (key in secret) throw new InputError(`${where}: ${namespace}/${name}.${key} is mapped twice`, 'keep one line per key');
    secret[key] = value;
    data.set(`${namespace}/${name}`, secret);
    values.push(value);
  });
  return { data, values };
}

/**
 * Replaces every occurrence of each secret value with `***` (longest first, so a value containing another is
 * replaced whole).
 */
export function secretRedactor(values: readonly string[]): (text: string) => string {
  const sorted = [...new Set(values.filter((v) => v !== ''))].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (t) => t;
  return (text) => sorted.reduce((t, v) => t.split(v).join('***'), text);
}
