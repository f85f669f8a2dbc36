/**
 * The OpenVEX document of a `vex` attestation: read from the repository and checked against the OpenVEX v0.2.0 data
 * model before anything is sent (docs/attestations.md, "VEX").
 *
 * No npm package ships the OpenVEX JSON schema or a validator, and the schema must not be copied into the repository,
 * so the rules of the OpenVEX v0.2.0 specification are checked here structurally: the required
 * document fields (`@context`, `@id`, `author`, `timestamp`, `version`, `statements`), each statement's `vulnerability`
 * (with a `name`), `status` (one of four), the status-dependent fields (`not_affected` needs a `justification` from the
 * spec's list or an `impact_statement`; `affected` needs an `action_statement`), and products identified by `@id` or
 * `identifiers`. Every problem is reported with its JSON path.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { clip, InputError } from '../errors.js';
import { OPENVEX_PREDICATE_TYPE } from './types.js';

const MAX_VEX_BYTES = 8 * 1024 * 1024;
const STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'];
const JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
];
/** RFC 3339 date-time, as the spec's `timestamp` fields require. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** Problems of `doc` as an OpenVEX v0.2.0 document (empty when it is one). */
export function openVexProblems(doc: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, msg: string) => {
    if (!ok) problems.push(msg);
  };
  if (!isObject(doc)) return ['the document is not a JSON object'];
  const ctx = doc['@context'];
  need(typeof ctx === 'string' && ctx.startsWith('https://openvex.dev/ns'), `@context must be '${OPENVEX_PREDICATE_TYPE}', got ${JSON.stringify(ctx) ?? 'nothing'}`);
  need(nonEmptyString(doc['@id']), '@id (the document IRI) is required');
  need(nonEmptyString(doc.author), 'author is required');
  need(typeof doc.timestamp === 'string' && RFC3339.test(doc.timestamp), 'timestamp must be an RFC 3339 date-time');
  if (doc.last_updated !== undefined) need(typeof doc.last_updated === 'string' && RFC3339.test(doc.last_updated), 'last_updated must be an RFC 3339 date-time');
  need(Number.isInteger(doc.version) && (doc.version as number) >= 1, 'version must be an integer >= 1');
  const statements = doc.statements;
  if (!Array.isArray(statements) || statements.length === 0) {
    problems.push('statements must be a non-empty array');
    return problems;
  }
  statements.forEach((st: unknown, i) => {
    const at = `statements[${i}]`;
    if (!isObject(st)) {
      problems.push(`${at} is not an object`);
      return;
    }
    const vuln = st.vulnerability;
    need(isObject(vuln) && nonEmptyString(vuln.name), `${at}.vulnerability.name is required (e.g. a CVE id)`);
    if (isObject(vuln) && vuln.aliases !== undefined) need(Array.isArray(vuln.aliases) && vuln.aliases.every(nonEmptyString), `${at}.vulnerability.aliases must be an array of strings`);
    const status = st.status;
    need(typeof status === 'string' && STATUSES.includes(status), `${at}.status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status) ?? 'nothing'}`);
    if (status === 'not_affected') {
      const j = st.justification;
      need(j !== undefined || nonEmptyString(st.impact_statement), `${at}: status not_affected needs a justification or an impact_statement`);
      if (j !== undefined) need(typeof j === 'string' && JUSTIFICATIONS.includes(j), `${at}.justification must be one of ${JUSTIFICATIONS.join(', ')}`);
    }
    if (status === 'affected') need(nonEmptyString(st.action_statement), `${at}: status affected needs an action_statement`);
    if (st.timestamp !== undefined) need(typeof st.timestamp === 'string' && RFC3339.test(st.timestamp), `${at}.timestamp must be an RFC 3339 date-time`);
    if (st.products !== undefined) {
      if (!Array.isArray(st.products)) problems.push(`${at}.products must be an array`);
      else
        st.products.forEach((p: unknown, k) => {
          need(isObject(p) && (nonEmptyString(p['@id']) || isObject(p.identifiers)), `${at}.products[${k}] needs an @id or identifiers`);
          if (isObject(p) && p.subcomponents !== undefined) {
            need(
              Array.isArray(p.subcomponents) && p.subcomponents.every((c: unknown) => isObject(c) && (nonEmptyString(c['@id']) || isObject(c.identifiers))),
              `${at}.products[${k}].subcomponents need an @id or identifiers each`,
            );
          }
        });
    }
  });
  return problems;
}

/**
 * Reads and validates the OpenVEX document at `path` (relative to `workspace`, inside it). Any problem is an input
 * error listing every violation, raised before anything is built or sent.
 */
export function readOpenVex(path: string, workspace: string, what = 'vex-path'): { path: string; document: Json } {
  const abs = resolve(workspace, path);
  const outside = (p: string, ws: string) => {
    const rel = relative(ws, p);
    return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  };
  if (outside(abs, resolve(workspace))) throw new InputError(`${what} '${clip(path)}' is outside the workspace`, 'give a path to an OpenVEX document in the repository');
  let size: number;
  let real: string;
  try {
    real = realpathSync(abs);
    size = statSync(real).size;
  } catch {
    throw new InputError(`${what} '${clip(path)}' does not exist`, 'give the path of an OpenVEX JSON document, relative to the workspace');
  }
  // A symbolic link may not lead out of the workspace either.
  if (outside(real, realpathSync(workspace))) throw new InputError(`${what} '${clip(path)}' leads outside the workspace`, 'give a path to an OpenVEX document in the repository');
  if (size > MAX_VEX_BYTES) throw new InputError(`${what} '${clip(path)}' is ${size} bytes; an OpenVEX document is at most ${MAX_VEX_BYTES}`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(real, 'utf8'));
  } catch (err) {
    throw new InputError(`${what} '${clip(path)}' is not JSON: ${clip(err instanceof Error ? err.message : String(err))}`, 'an OpenVEX document is a JSON file (docs/attestations.md, "VEX")');
  }
  const problems = openVexProblems(doc);
  if (problems.length) {
    const shown = problems.slice(0, 10).map((p) => `  - ${clip(p)}`);
    if (problems.length > 10) shown.push(`  - … and ${problems.length - 10} more`);
    throw new InputError(`${what} '${clip(path)}' is not a valid OpenVEX v0.2.0 document:\n${shown.join('\n')}`, 'fix the document (the rules are in docs/attestations.md, "VEX"), e.g. write it with `vexctl create`');
  }
  return { path: abs, document: doc as Json };
}
