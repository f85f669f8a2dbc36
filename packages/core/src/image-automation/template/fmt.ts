/**
 * The part of Go's fmt package templates use: Sprint/Sprintln/Sprintf with the verbs %v %s %d %q %t %x %X %o %b
 * %c %f %F %e %E %g %G %%, flags `-+# 0`, width and precision, and Go's error forms (`%!d(string=x)`, `%!v(MISSING)`).
 */
import { formatFloatG, formatValue, isStruct, NO_VALUE, typeName, type GoValue } from './values.js';

/** strconv.Quote: double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0xfeff || (c >= 0x2028 && c <= 0x2029)) {
      out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

const isStringish = (v: GoValue) => typeof v === 'string';

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && !isStringish(a) && !isStringish(args[i - 1])) out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: always spaces, then a newline. */
export function sprintln(args: GoValue[]): string {
  return args.map((a) => formatValue(a)).join(' ') + '\n';
}

function pad(s: string, width: number | undefined, minus: boolean, zero: boolean): string {
  if (width === undefined || s.length >= width) return s;
  if (minus) return s + ' '.repeat(width - s.length);
  if (zero) {
    const sign = /^[-+ ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(width - s.length) + s.slice(sign.length);
  }
  return ' '.repeat(width - s.length) + s;
}

function bad(verb: string, v: GoValue): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    let minus = false;
    let plus = false;
    let sharp = false;
    let zero = false;
    let space = false;
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') minus = true;
      else if (f === '+') plus = true;
      else if (f === '#') sharp = true;
      else if (f === '0') zero = !minus;
      else if (f === ' ') space = true;
      else break;
    }
    let width: number | undefined;
    let prec: number | undefined;
    if (format[i] === '*') {
      width = Number(args[argi++]);
      i++;
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        prec = Number(args[argi++]);
        i++;
      } else {
        const m = /^\d*/.exec(format.slice(i)) as RegExpExecArray;
        prec = m[0] === '' ? 0 : Number(m[0]);
        i += m[0].length;
      }
    }
    const verb = format[i++];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    let v = args[argi++];
    if (v === NO_VALUE) v = null;
    out += pad(formatVerb(verb, v, { plus, sharp, space, prec }), width, minus, zero && verb !== 's' && verb !== 'v' && verb !== 'q');
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${typeName(a)}=${formatValue(a)}`)
      .join(', ')})`;
  }
  return out;
}

function formatVerb(verb: string, v: GoValue, o: { plus: boolean; sharp: boolean; space: boolean; prec?: number }): string {
  const num = typeof v === 'number' ? v : undefined;
  const signed = (s: string, n: number) => (n >= 0 && o.plus ? '+' + s : n >= 0 && o.space ? ' ' + s : s);
  switch (verb) {
    case 'v':
      if (o.plus && isStruct(v)) {
        return `{${Object.keys(v)
          .map((k) => `${k}:${formatValue(v[k])}`)
          .join(' ')}}`;
      }
      if (o.sharp && typeof v === 'string') return goQuote(v);
      return num !== undefined ? signed(formatValue(v), num) : formatValue(v);
    case 's': {
      if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return bad(verb, v);
      const s = formatValue(v);
      return o.prec !== undefined ? [...s].slice(0, o.prec).join('') : s;
    }
    case 'q':
      if (typeof v === 'string') return o.sharp && !v.includes('`') ? '`' + v + '`' : goQuote(v);
      if (typeof v === 'number' && Number.isInteger(v)) return `'${String.fromCodePoint(v)}'`;
      return bad(verb, v);
    case 't':
      return typeof v === 'boolean' ? String(v) : bad(verb, v);
    case 'd':
      if (num !== undefined && Number.isInteger(num)) return signed(String(num), num);
      if (Array.isArray(v)) return `[${v.map((x) => formatVerb('d', x, o)).join(' ')}]`;
      return bad(verb, v);
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      if (num !== undefined && Number.isInteger(num)) {
        const base = verb === 'b' ? 2 : verb === 'o' ? 8 : 16;
        let s = Math.abs(num).toString(base);
        if (verb === 'X') s = s.toUpperCase();
        if (o.sharp) s = (verb === 'o' ? '0' : verb === 'b' ? '0b' : verb === 'x' ? '0x' : '0X') + s;
        return signed((num < 0 ? '-' : '') + s, num);
      }
      if (typeof v === 'string' && (verb === 'x' || verb === 'X')) {
        const h = Buffer.from(v, 'utf8').toString('hex');
        return verb === 'X' ? h.toUpperCase() : h;
      }
      return bad(verb, v);
    }
    case 'c':
      return num !== undefined && Number.isInteger(num) ? String.fromCodePoint(num) : bad(verb, v);
    case 'f':
    case 'F':
      return num !== undefined ? signed(num.toFixed(o.prec ?? 6), num) : bad(verb, v);
    case 'e':
    case 'E': {
      if (num === undefined) return bad(verb, v);
      const s = num.toExponential(o.prec ?? 6).replace(/e([-+])(\d)$/, 'e$10$2');
      return signed(verb === 'E' ? s.toUpperCase() : s, num);
    }
    case 'g':
    case 'G': {
      if (num === undefined) return bad(verb, v);
      const s = o.prec !== undefined ? Number(num.toPrecision(o.prec || 1)).toString() : formatFloatG(num);
      return signed(verb === 'G' ? s.toUpperCase() : s, num);
    }
    default:
      return `%!${verb}(${typeName(v)}=${formatValue(v)})`;
  }
}
