/**
 * Reads a step's raw stdout (or stderr) the way the GitHub Actions runner does, to tell which lines it would act on
 * as workflow commands. Tests use it to prove that untrusted text never becomes a command.
 *
 * The rules, as the runner applies them to every line of a step's output:
 * - lines end at `\n`, `\r` or `\r\n` (.NET `StreamReader.ReadLine`);
 * - the current form: after leading whitespace is trimmed, the line starts with `::`, the command name runs to the
 *   first space or the next `::`, properties are `key=value` pairs separated by `,`, the data follows the second `::`
 *   (data escapes `%25 %0D %0A`; property escapes also `%3A %2C`);
 * - the legacy form: `##[` ANYWHERE in the line, the name runs to the first space or `]`, properties are separated
 *   by `;`, the data follows the `]`; tried only when the current form does not parse;
 * - only registered names count, case-insensitively;
 * - `::stop-commands::<token>` makes the runner ignore every command until one named `<token>` (either form);
 * - stdout and stderr share one command processor, so a stop on one stream covers the other.
 */

/** The commands the runner registers for a step (its command extensions plus `stop-commands`). */
export const RUNNER_COMMANDS = [
  'stop-commands',
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
] as const;

export interface WorkflowCommand {
  /** Lower-cased command name; a resume token is reported as `resume-commands`. */
  command: string;
  properties: Record<string, string>;
  /** The data, unescaped as the runner does. */
  data: string;
  /** `::name::` (current) or `##[name]` (legacy). */
  form: 'current' | 'legacy';
  /** 0-based line index in the text. */
  line: number;
  /** The raw line. */
  raw: string;
}

/** `char.IsWhiteSpace` of .NET, which `string.TrimStart()` uses. */
function isDotnetWhitespace(c: string): boolean {
  return /[\s\u0085]/u.test(c) && c !== '\ufeff';
}

function trimStartDotnet(s: string): string {
  let i = 0;
  while (i < s.length && isDotnetWhitespace(s[i])) i++;
  return s.slice(i);
}

/** Splits as .NET `StreamReader.ReadLine` does. */
export function runnerLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const unescape = (s: string, map: [string, string][]) => map.reduce((acc, [from, to]) => acc.split(from).join(to), s);
const DATA: [string, string][] = [['%0D', '\r'], ['%0A', '\n'], ['%25', '%']];
const PROPERTY: [string, string][] = [['%0D', '\r'], ['%0A', '\n'], ['%3A', ':'], ['%2C', ','], ['%25', '%']];
const LEGACY: [string, string][] = [['%3B', ';'], ['%0D', '\r'], ['%0A', '\n'], ['%5D', ']'], ['%25', '%']];

function parseCurrent(line: string, registered: Set<string>): Omit<WorkflowCommand, 'line' | 'raw'> | undefined {
  const msg = trimStartDotnet(line);
  if (!msg.startsWith('::')) return undefined;
  const end = msg.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = msg.slice(2, end);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (!registered.has(name.toLowerCase())) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const p of info.slice(space + 1).trim().split(',').filter(Boolean)) {
      const eq = p.indexOf('=');
      if (eq > 0 && eq < p.length - 1) properties[p.slice(0, eq)] = unescape(p.slice(eq + 1), PROPERTY);
    }
  }
  return { command: name.toLowerCase(), properties, data: unescape(msg.slice(end + 2), DATA), form: 'current' };
}

function parseLegacy(line: string, registered: Set<string>): Omit<WorkflowCommand, 'line' | 'raw'> | undefined {
  const start = line.indexOf('##[');
  if (start < 0) return undefined;
  const rb = line.indexOf(']', start);
  if (rb < 0) return undefined;
  const info = line.slice(start + 3, rb);
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (!registered.has(name.toLowerCase())) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const p of info.slice(space + 1).split(';').filter(Boolean)) {
      const eq = p.indexOf('=');
      if (eq > 0 && eq < p.length - 1) properties[p.slice(0, eq)] = unescape(p.slice(eq + 1), LEGACY);
    }
  }
  return { command: name.toLowerCase(), properties, data: unescape(line.slice(rb + 1), LEGACY), form: 'legacy' };
}

/**
 * The commands the runner would act on in `text`, in order, honouring `stop-commands` (the stop and the matching
 * resume are reported too, as `stop-commands` and `resume-commands`).
 */
export function parseWorkflowCommands(text: string): WorkflowCommand[] {
  const registered = new Set<string>(RUNNER_COMMANDS);
  const out: WorkflowCommand[] = [];
  let stopToken: string | undefined;
  runnerLines(text).forEach((raw, line) => {
    const cmd = parseCurrent(raw, registered) ?? parseLegacy(raw, registered);
    if (!cmd) return;
    if (stopToken !== undefined) {
      if (cmd.command === stopToken) {
        out.push({ ...cmd, command: 'resume-commands', line, raw });
        registered.delete(stopToken);
        stopToken = undefined;
      }
      return;
    }
    if (cmd.command === 'stop-commands') {
      stopToken = cmd.data.toLowerCase();
      registered.add(stopToken);
    }
    out.push({ ...cmd, line, raw });
  });
  return out;
}
