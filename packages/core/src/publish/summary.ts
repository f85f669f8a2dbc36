/**
 * The job summary of a publish: a Markdown table of the artifacts, the failures with their hints, the caller's own
 * sections, and the Flux verify block for the signing identity. Names, paths, tags and error messages are untrusted:
 * they are escaped (util/markdown.ts) so they cannot add HTML or break the table.
 */
import { cosignVerifyAttestationLine } from '../attest/index.js';
import type { SignResult } from '../sign/index.js';
import { mdCode, mdFence, mdText } from '../util/index.js';
import { errorHint } from './publish.js';
import type { PublishResult } from './types.js';

/**
 * The Flux verify block and the identity regexes (re2js, yaml) come with the signing code, imported when a summary has
 * a signature or an attestation to show, which the signing code made: a run that signs nothing never loads them
 * (docs/architecture.md "Action start-up").
 */
const verifyBlocks = () => import('../sign/index.js');

export interface SummaryOptions {
  /** Markdown sections (already escaped) placed after the table and the failures, before the Flux verification. */
  sections?: string[];
}

function kib(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

export async function publishSummary(
  title: string,
  results: PublishResult[],
  failures: { component?: string; path: string; error: Error }[],
  options: SummaryOptions = {},
): Promise<string> {
  const cell = (s: string) => mdCode(s, { inTable: true });
  const rows = results.map((r) =>
    `| ${mdText(r.component ?? r.path)} | ${cell(r.repository)} | ${cell(`${r.digest.slice(0, 19)}…`)} | ${r.tags.map(cell).join(' ')} | ${r.pushed ? 'pushed' : 'unchanged'} | ${kib(r.size)} | ${r.signature ? `${cell(r.signature.signature)} (Rekor ${r.signature.rekorLogIndex})` : r.alreadySigned ? 'already signed' : '—'} |`,
  );
  const parts = [`## ${mdText(title)}`, '', '| component / path | repository | digest | tags | result | layer | signature |', '|---|---|---|---|---|---|---|', ...rows];
  if (failures.length) {
    parts.push(
      '',
      '### Failed',
      '',
      ...failures.map((f) => {
        const hint = errorHint(f.error);
        return `- **${mdText(f.component ?? f.path)}**: ${mdText(f.error.message.replace(/\s*\n\s*/g, ' '))}${hint ? `\n  - hint: ${mdText(hint.replace(/\s*\n\s*/g, ' '))}` : ''}`;
      }),
    );
  }
  if (results.some((r) => r.attestations?.length)) parts.push('', await attestationsSection(results));
  for (const section of options.sections ?? []) parts.push('', section);
  const signed = results.find((r) => r.signature)?.signature;
  if (signed) parts.push('', await verifySection(signed));
  return parts.join('\n') + '\n';
}

export async function verifySection(signed: SignResult, subjectRegExp?: string): Promise<string> {
  const { fluxVerifyBlock, generalisedIdentityRegExp } = await verifyBlocks();
  return [
    '### Flux verification',
    '',
    `Signed by ${mdCode(signed.certificateIdentity)} (issuer ${mdCode(signed.certificateOidcIssuer)}). Paste into the OCIRepository spec:`,
    '',
    mdFence(fluxVerifyBlock(signed.certificateIdentity, signed.certificateOidcIssuer, { subjectRegExp: subjectRegExp ?? generalisedIdentityRegExp(signed.certificateIdentity) }).trimEnd(), 'yaml'),
  ].join('\n');
}

/**
 * The attestations of each artifact (type, referrer digest, Rekor log index, new or already attached) and a ready
 * `cosign verify-attestation` command per type, with the identity regex of the Flux block.
 */
export async function attestationsSection(results: PublishResult[]): Promise<string> {
  const { exactRegExp, generalisedIdentityRegExp } = await verifyBlocks();
  const cell = (s: string) => mdCode(s, { inTable: true });
  const rows: string[] = [];
  const commands: string[] = [];
  for (const r of results) {
    for (const a of r.attestations ?? []) {
      rows.push(`| ${mdText(r.component ?? r.path)} | ${mdText(a.type)} | ${cell(a.predicateType)} | ${cell(a.referrerDigest)} | ${a.rekorLogIndex} | ${a.existing ? 'already attached' : 'attached'} |`);
      commands.push(
        cosignVerifyAttestationLine(`${r.repository}@${r.digest}`, a.predicateType, generalisedIdentityRegExp(a.certificateIdentity), exactRegExp(a.certificateOidcIssuer)),
      );
    }
  }
  return [
    '### Attestations',
    '',
    '| component / path | type | predicate type | referrer | Rekor | result |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Verify with cosign:',
    '',
    mdFence(commands.join('\n'), 'sh'),
  ].join('\n');
}
