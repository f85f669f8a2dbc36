import type { Command } from '../cli.js';
import { buildCommand } from './build.js';
import { demoCommand } from './demo.js';
import { diffCommand } from './diff.js';
import { initCommand } from './init.js';
import { migrateCommand } from './migrate.js';
import { policySelectCommand } from './policy-select.js';
import { prCommand } from './pr.js';
import { pushCommand } from './push.js';
import { releaseCommand } from './release.js';
import { sbomCommand } from './sbom.js';
import { signCommand } from './sign.js';
import { tagCommand } from './tag.js';
import { updateCommand } from './update.js';
import { verifyCommand } from './verify.js';
import { verifyAttestationCommand } from './verify-attestation.js';
import { versionCommand } from './version.js';

/** Every d2 subcommand, in help order. */
export const commands: Command[] = [
  buildCommand,
  pushCommand,
  diffCommand,
  tagCommand,
  releaseCommand,
  signCommand,
  verifyCommand,
  sbomCommand,
  verifyAttestationCommand,
  policySelectCommand,
  updateCommand,
  prCommand,
  initCommand,
  migrateCommand,
  demoCommand,
  versionCommand,
];
