/**
 * The attestation inputs (`attestations`, `sbom-format`, `vex-path`; CLI `--attestations`, `--sbom-format`,
 * `--vex-path`) as one validated AttestationConfig, and the `cosign verify-attestation` command line a summary shows.
 * Everything here is checked before anything is built or sent.
 */
import { clip, InputError } from '../errors.js';
import { readOpenVex } from './vex.js';
import {
  ATTESTATION_TYPES,
  CYCLONEDX_PREDICATE_TYPE,
  DEFAULT_SBOM_FORMAT,
  SBOM_FORMATS,
  SLSA_PROVENANCE_V1,
  SPDX_PREDICATE_TYPE,
  type AttestationConfig,
  type AttestationType,
  type SbomFormat,
} from './types.js';

/** The attestation types of a list input, de-duplicated in the order given; an unknown name is an input error. */
export function parseAttestationTypes(values: string[], what = 'attestations'): AttestationType[] {
  const out: AttestationType[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (v === '') continue;
    if (!(ATTESTATION_TYPES as readonly string[]).includes(v)) {
      throw new InputError(`${what}: unknown attestation type '${clip(v)}'`, `use a comma- or newline-separated list of ${ATTESTATION_TYPES.join(', ')}`);
    }
    if (!out.includes(v as AttestationType)) out.push(v as AttestationType);
  }
  return out;
}

export function parseSbomFormat(value: string | undefined, what = 'sbom-format'): SbomFormat {
  const v = value?.trim() || DEFAULT_SBOM_FORMAT;
  if (!(SBOM_FORMATS as readonly string[]).includes(v)) throw new InputError(`${what} must be one of ${SBOM_FORMATS.join(', ')}, got '${clip(v)}'`);
  return v as SbomFormat;
}

export interface AttestationInputs {
  /** The raw list entries (already split on commas and newlines). */
  attestations: string[];
  sbomFormat?: string;
  vexPath?: string;
  /** Where vex-path is resolved (the workspace). */
  workspace: string;
  /** Whether signing is on: attestations are signed with the signature's identity and need it. */
  signing: boolean;
  /** The names of the inputs or flags, for messages. */
  names?: { attestations: string; sbomFormat: string; vexPath: string; sign: string };
}

/** The validated attestation config (the VEX document read and checked), or undefined when none is asked for. */
export function parseAttestationConfig(i: AttestationInputs): AttestationConfig | undefined {
  const n = i.names ?? { attestations: 'attestations', sbomFormat: 'sbom-format', vexPath: 'vex-path', sign: 'sign' };
  const types = parseAttestationTypes(i.attestations, n.attestations);
  const sbomFormat = parseSbomFormat(i.sbomFormat, n.sbomFormat);
  const vexPath = i.vexPath?.trim() || undefined;
  if (types.length === 0) {
    if (vexPath) throw new InputError(`${n.vexPath} is set but ${n.attestations} does not include vex`, `add vex to ${n.attestations}, or remove ${n.vexPath}`);
    return undefined;
  }
  if (!i.signing) {
    throw new InputError(`${n.attestations} needs signing: attestations are signed with the signature's keyless identity`, `turn signing on (${n.sign}), or remove ${n.attestations}`);
  }
  if (types.includes('vex') && !vexPath) throw new InputError(`${n.attestations} includes vex but ${n.vexPath} is empty`, `set ${n.vexPath} to the OpenVEX document in the repository`);
  if (vexPath && !types.includes('vex')) throw new InputError(`${n.vexPath} is set but ${n.attestations} does not include vex`, `add vex to ${n.attestations}, or remove ${n.vexPath}`);
  const vex = vexPath ? readOpenVex(vexPath, i.workspace, n.vexPath) : undefined;
  return { types, sbomFormat, ...(vex ? { vexPath: vex.path, vex: vex.document } : {}) };
}

/**
 * The `--type` of `cosign verify-attestation` for a predicate type. cosign's short name `openvex` means the unversioned
 * `https://openvex.dev/ns`, so an OpenVEX v0.2.0 attestation is selected by its URI.
 */
export function cosignTypeOf(predicateType: string): string {
  if (predicateType === SLSA_PROVENANCE_V1) return 'slsaprovenance1';
  if (predicateType === CYCLONEDX_PREDICATE_TYPE) return 'cyclonedx';
  if (predicateType === SPDX_PREDICATE_TYPE) return 'spdxjson';
  return predicateType;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A ready-to-paste `cosign verify-attestation` command for one attestation. */
export function cosignVerifyAttestationLine(reference: string, predicateType: string, identityRegExp: string, issuerRegExp: string): string {
  return `cosign verify-attestation --type ${shellQuote(cosignTypeOf(predicateType))} --certificate-identity-regexp ${shellQuote(identityRegExp)} --certificate-oidc-issuer-regexp ${shellQuote(issuerRegExp)} ${shellQuote(reference)}`;
}
