import type { Command } from '../cli.js';
import { versionCommand } from './version.js';

/** Every d2 subcommand, in help order. */
export const commands: Command[] = [versionCommand];
