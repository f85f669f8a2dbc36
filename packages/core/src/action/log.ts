/**
 * The one way the actions write to the runner log. Everything logged may carry untrusted text (component names and
 * paths, tags and error messages from registries, git output, commit messages), and the runner reads every line of a
 * step's output as a possible workflow command: a line whose first non-blank characters are `::`, or any line that
 * contains `##[` followed by a command name (docs/security.md, "Untrusted text in logs, summaries and outputs").
 *
 * - `info` writes the text as it is when no line of it could be read as a command; otherwise it wraps the whole text in
 *   `::stop-commands::<random token>` … `::<token>::`, so the runner ignores every command inside (the standard
 *   defence of `@actions/core` users for untrusted blocks). The token is random per block and never occurs in the text.
 * - `warning`, `error`, `notice`, `debug` and `setFailed` go through `@actions/core`, which escapes `%`, CR and LF in the
 *   data, so the message is one command line whatever it contains.
 * - group titles are single-line: line breaks are shown as `⏎`.
 * - URL credentials (`https://user:token@host`) are redacted from every message and title (redact.ts), whichever
 *   code wrote it.
 */
import { randomBytes } from 'node:crypto';
import * as core from '@actions/core';
import type { Logger } from '../oci/index.js';
import { redactUrls as r } from '../util/index.js';

/** Line breaks as the runner reads them (.NET `StreamReader.ReadLine`: LF, CR, CRLF). */
const LINE_BREAK = /\r\n|\r|\n/;

/** Leading blanks the runner trims before looking for `::` (.NET `char.IsWhiteSpace`). */
const COMMAND_START = /^[\s\u0085]*::/u;

/** Renders a value for a single-line context: every line break becomes `⏎`. */
export function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '⏎');
}

/** Whether the runner could read some line of `text` as a workflow command (either syntax). */
export function mayIssueCommands(text: string): boolean {
  if (text.includes('##[')) return true;
  return text.split(LINE_BREAK).some((line) => COMMAND_START.test(line));
}

/** A `stop-commands` token that does not occur in `text` (case-insensitively, as the runner compares it). */
export function stopToken(text: string, random: () => string = () => randomBytes(16).toString('hex')): string {
  const lower = text.toLowerCase();
  for (;;) {
    const token = `d2-${random()}`.toLowerCase();
    if (!lower.includes(token)) return token;
  }
}

/**
 * `text` made safe to write raw to the runner log: unchanged when no line could be a command, else wrapped in a
 * `stop-commands` pair. The result ends without a line break.
 */
export function guardCommands(text: string, token: () => string = () => stopToken(text)): string {
  if (!mayIssueCommands(text)) return text;
  const t = token();
  return `::stop-commands::${t}\n${text}\n::${t}::`;
}

export interface ActionLog {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  notice(message: string): void;
  startGroup(title: string): void;
  endGroup(): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Marks the step failed (exit code 1) with an error annotation. */
  setFailed(message: string): void;
}

/** The runner log through `@actions/core`, with untrusted text neutralised as described above. */
export const actionLog: ActionLog = {
  debug: (m) => core.debug(r(m)),
  // One write per message, so a guarded block is never split by other output.
  info: (m) => core.info(guardCommands(r(m))),
  warning: (m) => core.warning(r(m)),
  error: (m) => core.error(r(m)),
  notice: (m) => core.notice(r(m)),
  startGroup: (title) => core.startGroup(oneLine(r(title))),
  endGroup: () => core.endGroup(),
  group: (title, fn) => core.group(oneLine(r(title)), fn),
  setFailed: (m) => core.setFailed(r(m)),
};

/** The core library's Logger (registry client, publish, forges) writing to the runner log through {@link actionLog}. */
export const actionsLogger: Logger = {
  debug: (m) => actionLog.debug(m),
  info: (m) => actionLog.info(m),
  warn: (m) => actionLog.warning(m),
};
