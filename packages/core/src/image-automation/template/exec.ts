/**
 * Executes parsed Go templates with text/template semantics: dot and `$`, variable scoping per control structure,
 * field and method resolution (a function-valued field is a niladic method), `<no value>` for missing map keys,
 * `range` over maps in sorted key order, Go truth, and the builtin functions.
 */
import { TemplateError } from './errors.js';
import { goQuote, sprint, sprintf, sprintln } from './fmt.js';
import { parseTemplate, type ArgNode, type Command, type Delims, type Node, type ParsedTemplates, type Pipeline } from './parse.js';
import { compareKeys, formatValue, isStruct, isTrue, mapGet, NO_VALUE, sortedEntries, typeName, type GoValue } from './values.js';

/** A template function. `lazy` functions (and/or) receive thunks. */
export type TemplateFunc = (...args: GoValue[]) => GoValue;
export type FuncMap = Record<string, TemplateFunc>;

class BreakSignal {}
class ContinueSignal {}

const MAX_DEPTH = 100;

export class Template {
  private readonly parsed: ParsedTemplates;
  private readonly funcs: FuncMap;

  constructor(src: string, funcs: FuncMap = {}, delims?: Delims) {
    this.parsed = parseTemplate(src, delims);
    this.funcs = { ...builtins(), ...funcs };
    this.checkFunctions(this.parsed.main);
    for (const body of this.parsed.defines.values()) this.checkFunctions(body);
  }

  /** Go checks at parse time that every function name is defined. */
  private checkFunctions(nodes: Node[]): void {
    const checkPipe = (p?: Pipeline) => {
      for (const c of p?.cmds ?? []) {
        for (const a of c.args) {
          if (a.type === 'identifier' && !(a.name in this.funcs) && !['and', 'or'].includes(a.name)) {
            throw new TemplateError(`template: line ${p?.line}: function "${a.name}" not defined`);
          }
          if (a.type === 'pipe') checkPipe(a.pipe);
        }
      }
    };
    for (const n of nodes) {
      if (n.type === 'action') checkPipe(n.pipe);
      else if (n.type === 'if' || n.type === 'with' || n.type === 'range') {
        checkPipe(n.pipe);
        this.checkFunctions(n.list);
        if (n.elseList) this.checkFunctions(n.elseList);
      } else if (n.type === 'template') checkPipe(n.pipe);
    }
  }

  execute(data: GoValue): string {
    const st = new State(this.parsed, this.funcs, data);
    st.walkList(data, this.parsed.main);
    return st.out;
  }
}

interface Var {
  name: string;
  value: GoValue;
}

class State {
  out = '';
  private vars: Var[];
  private depth = 0;

  constructor(
    private readonly tmpl: ParsedTemplates,
    private readonly funcs: FuncMap,
    data: GoValue,
  ) {
    this.vars = [{ name: '$', value: data }];
  }

  walkList(dot: GoValue, nodes: Node[]): void {
    for (const n of nodes) this.walk(dot, n);
  }

  private walk(dot: GoValue, n: Node): void {
    switch (n.type) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.evalPipeline(dot, n.pipe);
        if (n.pipe.decl.length === 0) this.out += printable(v);
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, n.pipe);
        if (isTrue(v)) this.walkList(n.type === 'with' ? v : dot, n.list);
        else if (n.elseList) this.walkList(dot, n.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, n);
        return;
      case 'template': {
        const body = this.tmpl.defines.get(n.name);
        if (!body) throw new TemplateError(`template: line ${n.line}: no such template "${n.name}"`);
        if (++this.depth > MAX_DEPTH) throw new TemplateError(`template: exceeded maximum template depth (${MAX_DEPTH})`);
        const newDot = n.pipe ? this.evalPipeline(dot, n.pipe) : null;
        const saved = this.vars;
        this.vars = [{ name: '$', value: newDot }];
        this.walkList(newDot, body);
        this.vars = saved;
        this.depth--;
        return;
      }
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private walkRange(dot: GoValue, n: Extract<Node, { type: 'range' }>): void {
    const mark = this.vars.length;
    // Evaluate without declaring: the range declares per iteration.
    const value = this.evalPipeline(dot, { ...n.pipe, decl: [] });
    const entries: Array<[GoValue, GoValue]> = [];
    if (Array.isArray(value)) value.forEach((v, i) => entries.push([i, v]));
    else if (value instanceof Map) entries.push(...sortedEntries(value));
    else if (typeof value === 'number' && Number.isInteger(value)) for (let i = 0; i < value; i++) entries.push([i, i]);
    else if (typeof value === 'string') {
      let i = 0;
      for (const ch of value) {
        entries.push([i, ch.codePointAt(0) ?? 0]);
        i += Buffer.byteLength(ch);
      }
    } else if (value !== null && value !== undefined && value !== NO_VALUE) {
      throw new TemplateError(`template: line ${n.pipe.line}: range can't iterate over ${formatValue(value)}`);
    }
    if (entries.length === 0) {
      if (n.elseList) this.walkList(dot, n.elseList);
      this.vars.length = mark;
      return;
    }
    for (const [k, v] of entries) {
      if (n.pipe.decl.length === 1) this.push(n.pipe.decl[0], v);
      else if (n.pipe.decl.length === 2) {
        this.push(n.pipe.decl[0], k);
        this.push(n.pipe.decl[1], v);
      }
      try {
        this.walkList(v, n.list);
      } catch (e) {
        if (e instanceof BreakSignal) {
          this.vars.length = mark;
          break;
        }
        if (!(e instanceof ContinueSignal)) throw e;
      }
      this.vars.length = mark;
    }
    this.vars.length = mark;
  }

  private push(name: string, value: GoValue): void {
    this.vars.push({ name, value });
  }

  private setVar(name: string, value: GoValue, line: number): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    throw new TemplateError(`template: line ${line}: undefined variable: ${name}`);
  }

  private varValue(name: string, line: number): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    throw new TemplateError(`template: line ${line}: undefined variable: ${name}`);
  }

  evalPipeline(dot: GoValue, pipe: Pipeline): GoValue {
    let value: GoValue = undefined;
    let hasFinal = false;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, hasFinal ? [value] : [], pipe.line);
      hasFinal = true;
    }
    if (pipe.decl.length > 0) {
      if (pipe.assign) this.setVar(pipe.decl[0], value, pipe.line);
      else this.push(pipe.decl[0], value);
    }
    return value;
  }

  private evalCommand(dot: GoValue, cmd: Command, final: GoValue[], line: number): GoValue {
    const [first, ...rest] = cmd.args;
    const noArgs = () => {
      if (rest.length > 0 || final.length > 0) throw new TemplateError(`template: line ${line}: can't give argument to non-function ${describe(first)}`);
    };
    switch (first.type) {
      case 'field':
        return this.evalFields(dot, dot, first.fields, rest, final, line);
      case 'variable': {
        const v = this.varValue(first.name, line);
        if (first.fields.length === 0) {
          noArgs();
          return v;
        }
        return this.evalFields(dot, v, first.fields, rest, final, line);
      }
      case 'pipe': {
        const v = this.evalPipeline(dot, first.pipe);
        if (first.fields.length === 0) {
          noArgs();
          return v;
        }
        return this.evalFields(dot, v, first.fields, rest, final, line);
      }
      case 'identifier':
        if (first.fields.length > 0) {
          // `fn.Field args`: the function is called without arguments, then the field chain is evaluated.
          return this.evalFields(dot, this.evalFunction(dot, first.name, [], [], line), first.fields, rest, final, line);
        }
        return this.evalFunction(dot, first.name, rest, final, line);
      case 'dot':
        noArgs();
        return dot;
      default:
        noArgs();
        return this.evalArg(dot, first, line);
    }
  }

  private evalArg(dot: GoValue, a: ArgNode, line: number): GoValue {
    switch (a.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'bool':
      case 'number':
      case 'string':
        return a.value;
      case 'field':
        return this.evalFields(dot, dot, a.fields, [], [], line);
      case 'variable': {
        const v = this.varValue(a.name, line);
        return a.fields.length ? this.evalFields(dot, v, a.fields, [], [], line) : v;
      }
      case 'pipe': {
        const v = this.evalPipeline(dot, a.pipe);
        return a.fields.length ? this.evalFields(dot, v, a.fields, [], [], line) : v;
      }
      case 'identifier': {
        const v = this.evalFunction(dot, a.name, [], [], line);
        return a.fields.length ? this.evalFields(dot, v, a.fields, [], [], line) : v;
      }
    }
  }

  private evalFields(dot: GoValue, receiver: GoValue, fields: string[], args: ArgNode[], final: GoValue[], line: number): GoValue {
    let v = receiver;
    for (let i = 0; i < fields.length; i++) {
      const last = i === fields.length - 1;
      v = this.evalField(dot, fields[i], v, last ? args : [], last ? final : [], line);
    }
    return v;
  }

  private evalField(dot: GoValue, name: string, receiver: GoValue, args: ArgNode[], final: GoValue[], line: number): GoValue {
    const hasArgs = args.length > 0 || final.length > 0;
    if (receiver === NO_VALUE || receiver === null || receiver === undefined) {
      throw new TemplateError(`template: line ${line}: nil pointer evaluating ${typeName(receiver)}.${name}`);
    }
    if (receiver instanceof Map) {
      if (hasArgs) throw new TemplateError(`template: line ${line}: ${name} is not a method but has arguments`);
      const r = mapGet(receiver, name);
      return r.found ? r.value : NO_VALUE;
    }
    if (isStruct(receiver) && name in receiver) {
      const v = receiver[name];
      if (typeof v === 'function') {
        const argv = [...args.map((a) => this.evalArg(dot, a, line)), ...final].map(arg);
        return (v as TemplateFunc).apply(receiver, argv);
      }
      if (hasArgs) throw new TemplateError(`template: line ${line}: ${name} has arguments but cannot be invoked as function`);
      return v;
    }
    throw new TemplateError(`template: line ${line}: can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private evalFunction(dot: GoValue, name: string, args: ArgNode[], final: GoValue[], line: number): GoValue {
    if (name === 'and' || name === 'or') {
      const thunks = [...args.map((a) => () => this.evalArg(dot, a, line)), ...final.map((f) => () => f)];
      if (thunks.length === 0) throw new TemplateError(`template: line ${line}: wrong number of args for ${name}: want at least 1 got 0`);
      let v: GoValue = undefined;
      for (const t of thunks) {
        v = t();
        if (name === 'and' ? !isTrue(v) : isTrue(v)) return v;
      }
      return v;
    }
    const fn = this.funcs[name];
    if (!fn) throw new TemplateError(`template: line ${line}: function "${name}" not defined`);
    const argv = [...args.map((a) => this.evalArg(dot, a, line)), ...final].map(arg);
    try {
      return fn(...argv);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw new TemplateError(`template: line ${line}: error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** Missing map values become nil when passed to a function (text/template validateType for interface args). */
function arg(v: GoValue): GoValue {
  return v === NO_VALUE ? null : v;
}

function describe(a: ArgNode): string {
  switch (a.type) {
    case 'string':
      return goQuote(a.value);
    case 'number':
      return a.text;
    case 'bool':
      return String(a.value);
    default:
      return a.type;
  }
}

function printable(v: GoValue): string {
  return formatValue(v);
}

function length(v: GoValue): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  throw new Error(`len of type ${typeName(v)}`);
}

function basicEq(a: GoValue, b: GoValue): boolean {
  if (Array.isArray(a) || Array.isArray(b) || a instanceof Map || b instanceof Map) throw new Error('non-comparable types');
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a !== typeof b && !(a === null || b === null)) {
    if (typeof a === 'number' || typeof b === 'number' || typeof a === 'string' || typeof b === 'string') throw new Error('incompatible types for comparison');
  }
  if (isStruct(a) && isStruct(b)) return compareKeys(a, b) === 0;
  return a === b;
}

function ordered(a: GoValue, b: GoValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareKeys(a, b);
  throw new Error('incompatible types for comparison');
}

function index(item: GoValue, ...keys: GoValue[]): GoValue {
  let v = item;
  for (const k of keys) {
    if (v instanceof Map) {
      const r = mapGet(v, k);
      // A missing key gives the element type's zero value: "" for string maps such as .Values.
      v = r.found ? r.value : [...v.values()].every((x) => typeof x === 'string') ? '' : null;
    } else if (Array.isArray(v) || typeof v === 'string') {
      const i = Number(k);
      const len = Array.isArray(v) ? v.length : Buffer.byteLength(v);
      if (!Number.isInteger(i) || i < 0 || i >= len) throw new Error(`index out of range: ${String(k)}`);
      v = Array.isArray(v) ? v[i] : Buffer.from(v)[i];
    } else if (v === null || v === undefined) throw new Error('index of untyped nil');
    else throw new Error(`can't index item of type ${typeName(v)}`);
  }
  return v;
}

function slice(item: GoValue, ...idx: GoValue[]): GoValue {
  const n = idx.map(Number);
  if (typeof item === 'string') {
    const b = Buffer.from(item);
    return b.subarray(n[0] ?? 0, n[1] ?? b.length).toString();
  }
  if (Array.isArray(item)) return item.slice(n[0] ?? 0, n[1] ?? item.length);
  throw new Error(`can't slice item of type ${typeName(item)}`);
}

function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c] as string);
}

function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t]|[\u0000-\u001f]/g, (c) => {
    const map: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return map[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

function builtins(): FuncMap {
  return {
    not: (v) => !isTrue(v),
    len: (v) => length(v),
    index: (item, ...keys) => index(item, ...keys),
    slice: (item, ...idx) => slice(item, ...idx),
    print: (...a) => sprint(a),
    println: (...a) => sprintln(a),
    printf: (f, ...a) => sprintf(String(f), a),
    html: (...a) => htmlEscape(sprint(a)),
    js: (...a) => jsEscape(sprint(a)),
    urlquery: (...a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    eq: (a, ...bs) => {
      if (bs.length === 0) throw new Error('missing argument for comparison');
      return bs.some((b) => basicEq(a, b));
    },
    ne: (a, b) => !basicEq(a, b),
    lt: (a, b) => ordered(a, b) < 0,
    le: (a, b) => ordered(a, b) <= 0,
    gt: (a, b) => ordered(a, b) > 0,
    ge: (a, b) => ordered(a, b) >= 0,
    call: (fn, ...a) => {
      if (typeof fn !== 'function') throw new Error(`non-function of type ${typeName(fn)}`);
      return (fn as TemplateFunc)(...a);
    },
  };
}
