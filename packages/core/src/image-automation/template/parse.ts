/**
 * Lexer and parser for Go text/template syntax (the subset Flux commit templates use, which is nearly all of it):
 * text, `{{- -}}` trimming, comments, actions with pipelines and variables, if/else if/else, range (with break and
 * continue), with/else with, define, template, block. Written by hand because no npm package implements Go template
 * semantics (Handlebars-like engines differ in whitespace, scoping, map ordering and printing).
 */
import { TemplateError } from './errors.js';

export type ArgNode =
  | { type: 'field'; fields: string[] }
  | { type: 'variable'; name: string; fields: string[] }
  | { type: 'dot' }
  | { type: 'nil' }
  | { type: 'bool'; value: boolean }
  | { type: 'number'; value: number; text: string }
  | { type: 'string'; value: string }
  | { type: 'identifier'; name: string; fields: string[] }
  | { type: 'pipe'; pipe: Pipeline; fields: string[] };

export interface Command {
  args: ArgNode[];
}

export interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
  line: number;
}

export type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pipe: Pipeline }
  | { type: 'if' | 'with'; pipe: Pipeline; list: Node[]; elseList?: Node[] }
  | { type: 'range'; pipe: Pipeline; list: Node[]; elseList?: Node[] }
  | { type: 'template'; name: string; pipe?: Pipeline; line: number }
  | { type: 'break' | 'continue' };

export interface ParsedTemplates {
  main: Node[];
  defines: Map<string, Node[]>;
}

type Tok =
  | { t: 'text'; v: string }
  | { t: 'open'; trim: boolean; line: number }
  | { t: 'close'; trim: boolean }
  | { t: 'word'; v: string }
  | { t: 'field'; v: string }
  | { t: 'var'; v: string }
  | { t: 'string'; v: string }
  | { t: 'char'; v: number }
  | { t: 'number'; v: string }
  | { t: 'punct'; v: string }
  | { t: 'space' }
  | { t: 'comment' };

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function unquoteGo(raw: string, line: number): string {
  // Interpreted string literal: Go escapes.
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = raw[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };
    if (n in simple) out += simple[n];
    else if (n === 'x') {
      out += String.fromCharCode(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n === 'u') {
      out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (n === 'U') {
      out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 9), 16));
      i += 8;
    } else if (/[0-7]/.test(n)) {
      out += String.fromCharCode(parseInt(raw.slice(i, i + 3), 8));
      i += 2;
    } else throw new TemplateError(`line ${line}: invalid escape \\${n} in string`);
  }
  return out;
}

export interface Delims {
  left: string;
  right: string;
}

function lex(src: string, delims: Delims = { left: '{{', right: '}}' }): Tok[] {
  const L = delims.left;
  const R = delims.right;
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const countLines = (s: string) => (line += s.split('\n').length - 1);
  while (i < src.length) {
    const open = src.indexOf(L, i);
    if (open < 0) {
      toks.push({ t: 'text', v: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let j = open + L.length;
    const trimLeft = src[j] === '-' && isSpace(src[j + 1] ?? '');
    if (trimLeft) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 2;
    }
    if (text) toks.push({ t: 'text', v: text });
    countLines(src.slice(i, open));
    toks.push({ t: 'open', trim: trimLeft, line });
    // Comment: `{{/* ... */}}`.
    let k = j;
    while (trimLeft && isSpace(src[k] ?? '')) k++;
    if (src.startsWith('/*', trimLeft ? k : j)) {
      const start = trimLeft ? k : j;
      const end = src.indexOf('*/', start + 2);
      if (end < 0) throw new TemplateError(`line ${line}: unclosed comment`);
      let p = end + 2;
      let trimRight = false;
      if (isSpace(src[p] ?? '') && src.startsWith(`-${R}`, p + 1)) {
        trimRight = true;
        p += 2 + R.length;
      } else if (src.startsWith(R, p)) p += R.length;
      else throw new TemplateError(`line ${line}: comment ends before closing delimiter`);
      countLines(src.slice(open, p));
      toks.pop();
      toks.push({ t: 'comment' });
      i = p;
      if (trimRight) i = skipSpace(src, i);
      continue;
    }
    // Action body.
    for (;;) {
      if (j >= src.length) throw new TemplateError(`line ${line}: unclosed action`);
      const c = src[j];
      if (isSpace(c)) {
        // Right trim marker: space, '-', '}}'.
        if (src[j + 1] === '-' && src.startsWith(R, j + 2)) {
          toks.push({ t: 'close', trim: true });
          countLines(src.slice(open, j + 2 + R.length));
          j += 2 + R.length;
          j = skipSpace(src, j);
          break;
        }
        let k2 = j;
        while (isSpace(src[k2] ?? '')) k2++;
        toks.push({ t: 'space' });
        j = k2;
        continue;
      }
      if (src.startsWith(R, j)) {
        toks.push({ t: 'close', trim: false });
        countLines(src.slice(open, j + R.length));
        j += R.length;
        break;
      }
      if (c === '"') {
        let k2 = j + 1;
        while (k2 < src.length && src[k2] !== '"') {
          if (src[k2] === '\\') k2++;
          if (src[k2] === '\n') throw new TemplateError(`line ${line}: unterminated quoted string`);
          k2++;
        }
        toks.push({ t: 'string', v: unquoteGo(src.slice(j, k2 + 1), line) });
        j = k2 + 1;
        continue;
      }
      if (c === '`') {
        const end = src.indexOf('`', j + 1);
        if (end < 0) throw new TemplateError(`line ${line}: unterminated raw quoted string`);
        toks.push({ t: 'string', v: src.slice(j + 1, end).replace(/\r/g, '') });
        j = end + 1;
        continue;
      }
      if (c === "'") {
        const m = /^'(\\.[^']*|[^'\\])'/u.exec(src.slice(j));
        if (!m) throw new TemplateError(`line ${line}: bad character constant`);
        const v = m[1].startsWith('\\') ? unquoteGo(`"${m[1]}"`, line) : m[1];
        toks.push({ t: 'char', v: v.codePointAt(0) ?? 0 });
        j += m[0].length;
        continue;
      }
      if (c === ':' && src[j + 1] === '=') {
        toks.push({ t: 'punct', v: ':=' });
        j += 2;
        continue;
      }
      if ('|()=,'.includes(c)) {
        toks.push({ t: 'punct', v: c });
        j++;
        continue;
      }
      if (c === '$') {
        const m = /^\$[\p{L}_0-9]*/u.exec(src.slice(j)) as RegExpExecArray;
        toks.push({ t: 'var', v: m[0] });
        j += m[0].length;
        continue;
      }
      if (c === '.') {
        const m = /^\.[\p{L}_][\p{L}_0-9]*/u.exec(src.slice(j));
        if (m) {
          toks.push({ t: 'field', v: m[0].slice(1) });
          j += m[0].length;
          continue;
        }
        if (!/[0-9]/.test(src[j + 1] ?? '')) {
          toks.push({ t: 'punct', v: '.' });
          j++;
          continue;
        }
      }
      const num = /^[-+]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][-+]?\d+)?)/.exec(src.slice(j));
      if (num && num[0] !== '' && /[0-9.+-]/.test(c)) {
        toks.push({ t: 'number', v: num[0] });
        j += num[0].length;
        continue;
      }
      const w = /^[\p{L}_][\p{L}_0-9]*/u.exec(src.slice(j));
      if (w) {
        toks.push({ t: 'word', v: w[0] });
        j += w[0].length;
        continue;
      }
      throw new TemplateError(`line ${line}: unexpected "${c}" in command`);
    }
    i = j;
  }
  return toks;
}

function skipSpace(src: string, i: number): number {
  while (i < src.length && isSpace(src[i])) i++;
  return i;
}

function parseNumber(text: string, line: number): number {
  const t = text.replace(/_/g, '');
  let v: number;
  if (/^[-+]?0[xX]/.test(t)) v = Number(t.replace(/^([-+]?)0[xX]/, '$10x').replace(/^\+/, ''));
  else if (/^[-+]?0[bB]/.test(t)) v = (t.startsWith('-') ? -1 : 1) * Number(t.replace(/^[-+]?/, ''));
  else if (/^[-+]?0[oO]/.test(t)) v = (t.startsWith('-') ? -1 : 1) * Number(t.replace(/^[-+]?/, ''));
  else if (/^[-+]?0[0-7]+$/.test(t)) v = (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[-+]?0/, ''), 8);
  else v = Number(t);
  if (Number.isNaN(v)) throw new TemplateError(`line ${line}: bad number syntax: "${text}"`);
  return v;
}

class Parser {
  private pos = 0;
  readonly defines = new Map<string, Node[]>();
  private line = 1;

  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined {
    return this.toks[this.pos];
  }

  private next(): Tok {
    const t = this.toks[this.pos++];
    if (!t) throw new TemplateError('unexpected end of template');
    if (t.t === 'open') this.line = t.line;
    return t;
  }

  private skipSpaces(): void {
    while (this.peek()?.t === 'space') this.pos++;
  }

  private err(msg: string): TemplateError {
    return new TemplateError(`template: line ${this.line}: ${msg}`);
  }

  /** Parses a list until one of `stops` keywords (returned) or the end. */
  parseList(stops: string[], top = false): { nodes: Node[]; stop?: string } {
    const nodes: Node[] = [];
    for (;;) {
      const t = this.peek();
      if (!t) {
        if (stops.length && !top) throw this.err(`unexpected EOF`);
        return { nodes };
      }
      if (t.t === 'text') {
        this.pos++;
        nodes.push({ type: 'text', text: t.v });
        continue;
      }
      if (t.t === 'comment') {
        this.pos++;
        continue;
      }
      if (t.t !== 'open') throw this.err('unexpected token');
      this.next();
      this.skipSpaces();
      const kw = this.peek();
      if (kw?.t === 'word' && stops.includes(kw.v)) {
        this.pos++;
        return { nodes, stop: kw.v };
      }
      if (kw?.t === 'word') {
        switch (kw.v) {
          case 'if':
          case 'with':
          case 'range':
            this.pos++;
            nodes.push(this.parseControl(kw.v));
            continue;
          case 'define': {
            this.pos++;
            if (!top) throw this.err('unexpected <define> in command');
            const name = this.parseTemplateName();
            this.expectClose();
            const { nodes: body } = this.parseListExpect(['end']);
            this.expectClose();
            this.defines.set(name, body);
            continue;
          }
          case 'block': {
            this.pos++;
            const name = this.parseTemplateName();
            const pipe = this.parsePipeline(false);
            const { nodes: body } = this.parseListExpect(['end']);
            this.expectClose();
            this.defines.set(name, body);
            nodes.push({ type: 'template', name, pipe, line: this.line });
            continue;
          }
          case 'template': {
            this.pos++;
            const name = this.parseTemplateName();
            this.skipSpaces();
            let pipe: Pipeline | undefined;
            if (this.peek()?.t === 'close') this.next();
            else pipe = this.parsePipeline(false);
            nodes.push({ type: 'template', name, pipe, line: this.line });
            continue;
          }
          case 'break':
          case 'continue':
            this.pos++;
            this.expectClose();
            nodes.push({ type: kw.v });
            continue;
          case 'end':
          case 'else':
            throw this.err(`unexpected {{${kw.v}}}`);
        }
      }
      nodes.push({ type: 'action', pipe: this.parsePipeline(true) });
    }
  }

  private parseListExpect(stops: string[]): { nodes: Node[]; stop: string } {
    const r = this.parseList(stops);
    if (!r.stop) throw this.err(`unexpected EOF`);
    return { nodes: r.nodes, stop: r.stop };
  }

  private parseTemplateName(): string {
    this.skipSpaces();
    const t = this.next();
    if (t.t !== 'string') throw this.err('template name must be a string constant');
    return t.v;
  }

  private expectClose(): void {
    this.skipSpaces();
    const t = this.next();
    if (t.t !== 'close') throw this.err('unexpected token in action, expected }}');
  }

  private parseControl(kind: 'if' | 'with' | 'range'): Node {
    const pipe = this.parsePipeline(kind === 'range');
    const body = this.parseListExpect(['end', 'else']);
    let elseList: Node[] | undefined;
    if (body.stop === 'else') {
      this.skipSpaces();
      const t = this.peek();
      if ((kind === 'if' && t?.t === 'word' && t.v === 'if') || (kind === 'with' && t?.t === 'word' && t.v === 'with')) {
        // `{{else if …}}` / `{{else with …}}`: a nested control whose {{end}} ends both.
        this.pos++;
        elseList = [this.parseControl(kind)];
        return { type: kind, pipe, list: body.nodes, elseList } as Node;
      }
      this.expectClose();
      elseList = this.parseListExpect(['end']).nodes;
    }
    this.expectClose();
    return { type: kind, pipe, list: body.nodes, elseList } as Node;
  }

  /** Parses a pipeline up to and including `}}` (or `)` when inside parentheses). */
  parsePipeline(allowDecl: boolean, inParen = false): Pipeline {
    this.skipSpaces();
    const pipe: Pipeline = { decl: [], assign: false, cmds: [], line: this.line };
    // Declarations: `$x :=`, `$x =`, `$k, $v :=` (two only in range).
    const save = this.pos;
    const vars: string[] = [];
    for (;;) {
      const t = this.peek();
      if (t?.t !== 'var') break;
      this.pos++;
      this.skipSpaces();
      const p = this.peek();
      if (p?.t === 'punct' && (p.v === ':=' || p.v === '=')) {
        vars.push(t.v);
        this.pos++;
        pipe.decl = vars;
        pipe.assign = p.v === '=';
        break;
      }
      if (p?.t === 'punct' && p.v === ',' && allowDecl) {
        vars.push(t.v);
        this.pos++;
        this.skipSpaces();
        continue;
      }
      break;
    }
    if (pipe.decl.length === 0) this.pos = save;
    for (;;) {
      this.skipSpaces();
      const cmd = this.parseCommand();
      pipe.cmds.push(cmd);
      this.skipSpaces();
      const t = this.next();
      if (t.t === 'punct' && t.v === '|') continue;
      if (inParen ? t.t === 'punct' && t.v === ')' : t.t === 'close') break;
      throw this.err(`unexpected token in operand`);
    }
    if (pipe.cmds.length === 0 || pipe.cmds.some((c) => c.args.length === 0)) throw this.err('missing value for command');
    return pipe;
  }

  private parseCommand(): Command {
    const args: ArgNode[] = [];
    for (;;) {
      this.skipSpaces();
      const t = this.peek();
      if (!t || t.t === 'close' || (t.t === 'punct' && (t.v === '|' || t.v === ')'))) break;
      args.push(this.parseOperand());
    }
    return { args };
  }

  private parseFields(): string[] {
    const fields: string[] = [];
    while (this.peek()?.t === 'field') fields.push((this.next() as { v: string }).v);
    return fields;
  }

  private parseOperand(): ArgNode {
    const t = this.next();
    switch (t.t) {
      case 'field':
        return { type: 'field', fields: [t.v, ...this.parseFields()] };
      case 'var':
        return { type: 'variable', name: t.v, fields: this.parseFields() };
      case 'string':
        return { type: 'string', value: t.v };
      case 'char':
        return { type: 'number', value: t.v, text: String(t.v) };
      case 'number':
        return { type: 'number', value: parseNumber(t.v, this.line), text: t.v };
      case 'punct':
        if (t.v === '.') {
          const fields = this.parseFields();
          return fields.length ? { type: 'field', fields } : { type: 'dot' };
        }
        if (t.v === '(') {
          const pipe = this.parsePipeline(false, true);
          return { type: 'pipe', pipe, fields: this.parseFields() };
        }
        throw this.err(`unexpected "${t.v}" in operand`);
      case 'word':
        if (t.v === 'true' || t.v === 'false') return { type: 'bool', value: t.v === 'true' };
        if (t.v === 'nil') return { type: 'nil' };
        return { type: 'identifier', name: t.v, fields: this.parseFields() };
      default:
        throw this.err('unexpected token in operand');
    }
  }
}

export function parseTemplate(src: string, delims?: Delims): ParsedTemplates {
  const p = new Parser(lex(src, delims));
  const { nodes } = p.parseList([], true);
  return { main: nodes, defines: p.defines };
}
