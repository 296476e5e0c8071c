// Compiling a parsed display filter into one JavaScript function over the Dissection.
//
// The filter is type-checked once against the field registry (every registered field is
// filterable; nothing here names a field), literals are converted once to what the field needs
// (numbers, masked addresses, Buffers, byte regexes), and JS source is generated and instantiated with
// `new Function`. Per packet there is no interpretation and no allocation for numeric and byte
// fields: numbers are read with the field's num(), bytes are compared in place through a reused
// Span. Only strings that a field computes (text()), regular expressions over bytes and
// string() build strings. Field names and literals never enter the generated source: they are
// passed in the constants array, so a filter cannot inject code.
//
// Wireshark 4.0 semantics for fields that occur more than once (ip.addr, tcp.port):
//   ==, any_eq        some occurrence is equal             ===, all_eq   every occurrence is equal
//   !=, all_ne        every occurrence differs (= !(a == b) once the field exists)
//   !==, any_ne, ~=   some occurrence differs
//   `any`/`all` before a comparison choose explicitly. Every comparison needs its fields present.

import { Dissection } from '../decode/dissection';
import { FieldDef, FT, Span, allFields, getField, nearestFieldName } from '../fields/registry';
import { ipv4ToString, ipv6At, macAt, formatField } from '../fields/format';
import { FilterSyntaxError } from './lexer';
import { Expr, RelOp, SetElem, SliceRange, Value } from './parser';
import { ByteRegex, RegexError, compileByteRegex } from './regex';
import { ipv4Mask, parseAbsTime, parseBytes, parseDecimal, parseInteger, parseIpv4, parseIpv6 } from './literals';

export type CompiledFilter = (d: Dissection) => boolean;

/** Value types, after Wireshark's ftypes, grouped by how they compare. */
type VT = 'int' | 'bool' | 'float' | 'time' | 'ipv4' | 'ipv6' | 'ether' | 'bytes' | 'string' | 'proto';
/** How a value is held in generated code: a number, a byte range, or a JS string. */
type Repr = 'num' | 'bytes' | 'str';

type Node =
  | { k: 'field'; f: FieldDef; whole: boolean }
  | { k: 'const'; num?: number; buf?: Buffer; str?: string; bits?: number }
  | { k: 'slice'; of: Typed; ranges: SliceRange[] }
  | { k: 'len'; of: Typed }
  | { k: 'count'; f: FieldDef }
  | { k: 'case'; upper: boolean; of: Typed }
  | { k: 'string'; f: FieldDef }
  | { k: 'abs'; of: Typed }
  | { k: 'minmax'; max: boolean; args: Typed[] }
  | { k: 'arith'; op: '+' | '-' | '*' | '/' | '%' | '&'; a: Typed; b: Typed }
  | { k: 'neg'; a: Typed };

interface Typed {
  vt: VT;
  repr: Repr;
  node: Node;
  pos: number;
  /** The field a value comes from, for messages and value names. */
  field?: FieldDef;
}

/** A literal whose meaning waits for the type of the other side. */
interface Lit {
  lit: true;
  v: Extract<Value, { k: 'word' | 'string' | 'char' }>;
  negative: boolean;
}

type Checked = Typed | Lit;
const isLit = (c: Checked): c is Lit => (c as Lit).lit === true;

const fail = (pos: number, reason: string): never => {
  throw new FilterSyntaxError(pos, reason);
};

function vtOf(f: FieldDef): VT {
  switch (f.type) {
    case FT.UInt: case FT.Int: case FT.Hex: return 'int';
    case FT.Bool: return 'bool';
    case FT.Double: case FT.RelTime: return 'float';
    case FT.AbsTime: return 'time';
    case FT.IPv4: return 'ipv4';
    case FT.IPv6: return 'ipv6';
    case FT.Ether: return 'ether';
    case FT.Bytes: return 'bytes';
    case FT.String: return 'string';
    case FT.None: return 'proto';
  }
}

function describeField(f: FieldDef): string {
  switch (f.type) {
    case FT.UInt: case FT.Hex: return 'an unsigned integer';
    case FT.Int: return 'a signed integer';
    case FT.Bool: return 'a boolean';
    case FT.Double: return 'a floating-point number';
    case FT.AbsTime: return 'a time';
    case FT.RelTime: return 'a time offset';
    case FT.IPv4: return 'an IPv4 address';
    case FT.IPv6: return 'an IPv6 address';
    case FT.Ether: return 'an Ethernet address';
    case FT.Bytes: return 'a byte sequence';
    case FT.String: return 'a character string';
    case FT.None: return f.name === f.proto ? 'a protocol' : 'a presence-only field';
  }
}

const VT_WORDS: Record<VT, string> = {
  int: 'an integer', bool: 'a boolean', float: 'a number', time: 'a time', ipv4: 'an IPv4 address', ipv6: 'an IPv6 address',
  ether: 'an Ethernet address', bytes: 'a byte sequence', string: 'a character string', proto: 'a protocol',
};

const describe = (t: Typed): string => (t.field && t.node.k === 'field' ? `${t.field.name} is ${describeField(t.field)}` : `the value is ${VT_WORDS[t.vt]}`);

const isNumVT = (vt: VT): boolean => vt === 'int' || vt === 'bool' || vt === 'float' || vt === 'time' || vt === 'ipv4';

function fieldRepr(f: FieldDef, vt: VT): Repr {
  if (isNumVT(vt)) return 'num';
  if (vt === 'string') return f.bytes ? 'bytes' : 'str';
  return 'bytes';
}

// ---------------------------------------------------------------- type checking

const FUNCTIONS = new Set(['len', 'count', 'upper', 'lower', 'string', 'abs', 'max', 'min']);
const FIELDLIKE = /^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)+$/;

function unknownField(name: string, pos: number): never {
  // A suggestion is at most max(3, half the name's length) edits away, so a name more than twice as
  // long as every field's has none; the edit distance over a pasted 100 KB word would take seconds.
  let longest = 0;
  for (const f of allFields()) if (f.name.length > longest) longest = f.name.length;
  const near = name.length <= 2 * longest + 3 ? nearestFieldName(name) : undefined;
  return fail(pos, `unknown field "${name}"${near ? ` (did you mean "${near}"?)` : ''}`);
}

function litText(l: Lit): string {
  const v = l.v;
  const s = v.k === 'word' ? v.text : v.k === 'string' ? JSON.stringify(v.text) : v.k === 'char' ? `'${String.fromCharCode(v.value)}'` : '?';
  return (l.negative ? '-' : '') + s;
}

function check(v: Value): Checked {
  switch (v.k) {
    case 'word': {
      const f = getField(v.text);
      if (f) return fieldValue(f, v.pos);
      return { lit: true, v, negative: false };
    }
    case 'string':
    case 'char':
      return { lit: true, v, negative: false };
    case 'neg': {
      const a = check(v.a);
      if (isLit(a)) {
        if (a.negative || a.v.k === 'string') fail(v.pos, 'a minus sign applies to numbers');
        return { ...a, negative: true };
      }
      if (!isNumVT(a.vt) || a.vt === 'ipv4') fail(v.pos, `${describe(a)}; a minus sign applies to numbers`);
      return { vt: a.vt === 'bool' ? 'int' : a.vt, repr: 'num', node: { k: 'neg', a }, pos: v.pos };
    }
    case 'slice': {
      const of = check(v.of);
      if (isLit(of)) return fail(v.of.pos, v.of.k === 'word' && FIELDLIKE.test(v.of.text) ? unknownField(v.of.text, v.of.pos) : 'only fields and protocols can be sliced');
      if (!sliceable(of)) fail(v.pos, `${describe(of)} and cannot be sliced into bytes`);
      return { vt: 'bytes', repr: 'bytes', node: { k: 'slice', of, ranges: v.ranges }, pos: v.pos };
    }
    case 'call':
      return checkCall(v);
    case 'arith':
      return checkArith(v);
  }
}

function fieldValue(f: FieldDef, pos: number): Typed {
  const vt = vtOf(f);
  return { vt, repr: fieldRepr(f, vt), node: { k: 'field', f, whole: false }, pos, field: f };
}

function sliceable(t: Typed): boolean {
  if (t.node.k === 'field') {
    const f = t.node.f;
    if (t.vt === 'proto') return !!(f.range || f.bytes) && f.name === f.proto;
    return t.vt === 'bytes' || t.vt === 'string' || t.vt === 'ether' || t.vt === 'ipv6' || t.vt === 'ipv4';
  }
  return t.repr === 'bytes' || t.repr === 'str';
}

function argField(v: Value, fn: string): FieldDef {
  if (v.k !== 'word') return fail(v.pos, `${fn}() takes a field`);
  return getField(v.text) ?? unknownField(v.text, v.pos);
}

function checkCall(v: Extract<Value, { k: 'call' }>): Typed {
  if (!FUNCTIONS.has(v.name)) fail(v.pos, `unknown function ${v.name}() (tcpwatch has len, count, upper, lower, string, abs, max, min)`);
  const one = (): Value => {
    if (v.args.length !== 1) fail(v.pos, `${v.name}() takes one argument`);
    const a = v.args[0];
    if (a.k === 'word' && !getField(a.text) && FIELDLIKE.test(a.text)) unknownField(a.text, a.pos);
    return a;
  };
  switch (v.name) {
    case 'count':
      return { vt: 'int', repr: 'num', node: { k: 'count', f: argField(one(), 'count') }, pos: v.pos };
    case 'len': {
      const a = check(one());
      if (isLit(a)) return fail(v.args[0].pos, 'len() takes a field or a slice');
      if (!sliceable(a)) fail(a.pos, `${describe(a)}; len() takes a byte sequence, string or protocol`);
      return { vt: 'int', repr: 'num', node: { k: 'len', of: a }, pos: v.pos };
    }
    case 'upper':
    case 'lower': {
      const a = check(one());
      if (isLit(a) || a.vt !== 'string') return fail(v.args[0].pos, `${v.name}() takes a string field`);
      return { vt: 'string', repr: 'str', node: { k: 'case', upper: v.name === 'upper', of: a }, pos: v.pos };
    }
    case 'string': {
      const f = argField(one(), 'string');
      const vt = vtOf(f);
      if (vt === 'string' || vt === 'bytes' || vt === 'proto') fail(v.args[0].pos, `string() converts non-string fields; ${f.name} is ${describeField(f)}`);
      return { vt: 'string', repr: 'str', node: { k: 'string', f }, pos: v.pos };
    }
    case 'abs': {
      const a = check(one());
      if (isLit(a) || !isNumVT(a.vt) || a.vt === 'ipv4') return fail(v.args[0].pos, 'abs() takes a numeric field');
      return { vt: a.vt, repr: 'num', node: { k: 'abs', of: a }, pos: v.pos };
    }
    default: {
      if (v.args.length === 0) fail(v.pos, `${v.name}() takes at least one argument`);
      const args = v.args.map((x) => check(x));
      const first = args.find((a) => !isLit(a)) as Typed | undefined;
      if (!first) return fail(v.pos, `${v.name}() needs at least one field`);
      if (!isNumVT(first.vt)) fail(first.pos, `${describe(first)}; ${v.name}() takes numbers`);
      const typed = args.map((a, i) => (isLit(a) ? coerce(a, first) : a));
      for (const t of typed) if (numClass(t.vt) !== numClass(first.vt)) fail(t.pos, `the arguments of ${v.name}() must have the same type`);
      return { vt: first.vt, repr: 'num', node: { k: 'minmax', max: v.name === 'max', args: typed }, pos: v.pos };
    }
  }
}

const numClass = (vt: VT): string => (vt === 'ipv4' ? 'ipv4' : vt === 'time' ? 'time' : isNumVT(vt) ? 'n' : vt);

function checkArith(v: Extract<Value, { k: 'arith' }>): Typed {
  const a0 = check(v.a);
  const b0 = check(v.b);
  if (isLit(a0) && isLit(b0)) return fail(v.pos, `arithmetic needs a field on one side of "${v.op}"`);
  const a = isLit(a0) ? coerce(a0, b0 as Typed) : a0;
  const b = isLit(b0) ? coerce(b0, a) : b0;
  if (v.op === '&') {
    if (a.repr === 'bytes' && b.repr === 'bytes' && a.vt !== 'string' && b.vt !== 'string') {
      return { vt: 'bytes', repr: 'bytes', node: { k: 'arith', op: '&', a, b }, pos: v.pos };
    }
    if ((a.vt === 'int' || a.vt === 'ipv4' || a.vt === 'bool') && a.vt === b.vt) {
      return { vt: a.vt, repr: 'num', node: { k: 'arith', op: '&', a, b }, pos: v.pos, field: a.field };
    }
    return fail(v.pos, `"&" needs two integers, two IPv4 addresses or two byte sequences`);
  }
  for (const t of [a, b]) {
    if (!isNumVT(t.vt) || t.vt === 'ipv4') fail(t.pos, `${describe(t)}; "${v.op}" needs numbers`);
  }
  if ((a.vt === 'time') !== (b.vt === 'time') && v.op !== '+' && v.op !== '-') fail(v.pos, `"${v.op}" does not apply to times`);
  const vt: VT = a.vt === 'time' || b.vt === 'time' ? 'time' : a.vt === 'float' || b.vt === 'float' ? 'float' : 'int';
  return { vt, repr: 'num', node: { k: 'arith', op: v.op, a, b }, pos: v.pos };
}

/** Give a literal the type of the other side, reading its text the way that type is written. */
function coerce(l: Lit, want: Typed): Typed {
  const v = l.v;
  const pos = l.negative ? v.pos - 1 : v.pos;
  const text = litText(l);
  const cnst = (node: Node, repr: Repr = want.repr): Typed => ({ vt: want.vt, repr, node, pos });
  const num = (n: number): Typed => cnst({ k: 'const', num: n }, 'num');
  const mismatch = (what: string): never => fail(pos, `${describe(want)} and cannot be compared with ${what}`);
  const wordLooksLikeField = v.k === 'word' && FIELDLIKE.test(v.text);
  const bad = (expected: string): never => {
    if (wordLooksLikeField && !l.negative) unknownField((v as { text: string }).text, v.pos);
    return fail(pos, `${text} is not ${expected}`);
  };
  const sign = l.negative ? -1 : 1;
  const valueName = (name: string): number | null => {
    const names = want.field?.valueNames;
    if (!names) return null;
    for (const [k, n] of Object.entries(names)) if (n.toLowerCase() === name.toLowerCase()) return Number(k);
    return null;
  };

  switch (want.vt) {
    case 'int':
    case 'bool': {
      let n: number | null = null;
      if (v.k === 'char') n = v.value;
      else if (v.k === 'word') {
        n = parseInteger(v.text);
        if (n === null && want.vt === 'bool' && !l.negative) {
          if (v.text === 'True' || v.text === 'TRUE') n = 1;
          else if (v.text === 'False' || v.text === 'FALSE') n = 0;
        }
        if (n === null && !l.negative) n = valueName(v.text);
      } else if (v.k === 'string') {
        n = valueName(v.text);
        if (n === null) mismatch(`the string ${text}${want.field?.valueNames ? ' (not one of its value names)' : ''}`);
      }
      if (n === null) {
        if (v.k === 'word' && /^-?[0-9.]+([eE][+-]?\d+)?$/.test(v.text)) fail(pos, `${text} is not a whole number (${describe(want)})`);
        return bad(want.vt === 'bool' ? 'a boolean (use 1, 0, True or False)' : `a valid number for ${want.field?.name ?? 'an integer'}`);
      }
      // Beyond 2^53 a double no longer holds every integer: `999…9` would compare as a neighbour
      // or as Infinity. tshark refuses what its 64-bit integers cannot hold in the same words.
      // tshark reads the literal as a 64-bit integer first, then holds it against the field's width.
      if (n >= 2 ** 64) fail(pos, `"${text}" causes an integer overflow (tcpwatch's integers go up to ${Number.MAX_SAFE_INTEGER})`);
      const max = integerMaximum(want);
      if (max !== null && n > max) fail(pos, `"${text}" too big for this field, maximum ${max}`);
      if (!Number.isSafeInteger(n)) fail(pos, `"${text}" causes an integer overflow (tcpwatch's integers go up to ${Number.MAX_SAFE_INTEGER})`);
      n *= sign;
      return num(want.vt === 'bool' ? (n !== 0 ? 1 : 0) : n);
    }
    case 'float':
    case 'time': {
      let n: number | null = null;
      if (v.k === 'char') n = v.value;
      else if (v.k === 'word') n = parseDecimal(v.text);
      else if (v.k === 'string' && want.vt === 'time' && !l.negative) {
        n = parseAbsTime(v.text);
        if (n === null) fail(pos, `${text} is not a time: write seconds since the epoch, "2024-05-01 12:00:00" or "2024-05-01T12:00:00Z"`);
      } else mismatch(`the string ${text}`);
      if (n === null) return bad(want.vt === 'time' ? 'a time in seconds' : 'a number');
      if (!Number.isFinite(n)) fail(pos, `"${text}" is not a valid ${want.vt === 'time' || want.field?.type === FT.RelTime ? 'time' : 'number'} (out of range)`);
      return num(n * sign);
    }
    case 'ipv4': {
      if (v.k !== 'word' || l.negative) return mismatch(v.k === 'string' ? `the string ${text}` : text);
      let a;
      try { a = parseIpv4(v.text); } catch (e) { return fail(pos, (e as Error).message); }
      if (!a) return bad('an IPv4 address (tcpwatch does not resolve host names)');
      const mask = ipv4Mask(a.bits);
      return cnst({ k: 'const', num: (a.addr & mask) >>> 0, bits: a.bits }, 'num');
    }
    case 'ipv6': {
      if (v.k !== 'word' || l.negative) return mismatch(v.k === 'string' ? `the string ${text}` : text);
      let a;
      try { a = parseIpv6(v.text); } catch (e) { return fail(pos, (e as Error).message); }
      if (!a) return bad('an IPv6 address (tcpwatch does not resolve host names)');
      return cnst({ k: 'const', buf: maskPrefix(a.addr, a.bits), bits: a.bits }, 'bytes');
    }
    case 'ether': {
      if (v.k !== 'word' || l.negative) return mismatch(v.k === 'string' ? `the string ${text}` : text);
      const b = parseBytes(v.text);
      if (!b) return bad('an Ethernet address (write aa:bb:cc:dd:ee:ff)');
      if (b.length !== 6) fail(pos, `${text} has ${b.length} byte${b.length === 1 ? '' : 's'}; an Ethernet address has 6`);
      return cnst({ k: 'const', buf: b }, 'bytes');
    }
    case 'bytes':
    case 'proto': {
      if (l.negative) return bad('a byte sequence');
      if (v.k === 'string') return cnst({ k: 'const', buf: v.bytes, str: v.text }, 'bytes');
      if (v.k === 'char') return cnst({ k: 'const', buf: Buffer.from([v.value]) }, 'bytes');
      let b = parseBytes(v.text);
      if (!b) {
        // A hex integer of one byte may stand for that byte (wireshark-filter(4), "Implicit type conversions").
        const n = /^0[xX]/.test(v.text) ? parseInteger(v.text) : null;
        if (n !== null && n <= 0xff) b = Buffer.from([n]);
        else if (n !== null) fail(pos, `${text} is more than one byte; write bytes as aa:bb:cc`);
      }
      if (!b) return bad('a byte sequence (write aa:bb:cc, or "text")');
      return cnst({ k: 'const', buf: b }, 'bytes');
    }
    case 'string': {
      if (l.negative) return bad('a string');
      if (v.k === 'string') return cnst({ k: 'const', buf: v.bytes, str: v.text }, 'str');
      if (v.k === 'char') { const s = String.fromCharCode(v.value); return cnst({ k: 'const', buf: Buffer.from(s, 'latin1'), str: s }, 'str'); }
      // Unquoted text against a string field: deprecated in Wireshark but accepted.
      return cnst({ k: 'const', buf: Buffer.from(v.text, 'utf8'), str: v.text }, 'str');
    }
  }
}

/**
 * The largest literal a field takes, where tcpwatch knows its width: the width the field declares
 * (Wireshark's FT_UINT16 and so on), else for a hex field the width its digits imply (8, 16, 32 or
 * 64 bits). Null when the registry does not say.
 */
function integerMaximum(want: Typed): number | null {
  if (want.node.k !== 'field') return null;
  const f = want.node.f;
  let bits: number;
  if (f.valueBits !== undefined) bits = f.type === FT.Int ? f.valueBits - 1 : f.valueBits;
  else if (f.type === FT.Hex && f.hexDigits !== undefined) bits = f.hexDigits <= 2 ? 8 : f.hexDigits <= 4 ? 16 : f.hexDigits <= 8 ? 32 : 64;
  else return null;
  return bits > 32 ? null : 2 ** bits - 1;
}

function maskPrefix(addr: Buffer, bits: number): Buffer {
  const out = Buffer.from(addr);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

function checkExists(v: Value): Typed {
  const c = check(v);
  if (!isLit(c)) return c;
  if (v.k === 'word') return unknownField(v.text, v.pos);
  return fail(v.pos, `${litText(c)} is a value, not a field: a test is a field, a protocol or a comparison`);
}

/** The type both sides of a comparison share, or a message about why they do not. */
function checkPair(a0: Checked, b0: Checked, opText: string, opPos: number, av: Value, bv: Value): [Typed, Typed] {
  if (isLit(a0) && isLit(b0)) {
    for (const [c, v] of [[a0, av], [b0, bv]] as const) {
      const l = c as Lit;
      if (l.v.k === 'word' && !l.negative && (FIELDLIKE.test(l.v.text) || parseDecimal(l.v.text) === null)) unknownField(l.v.text, v.pos);
    }
    return fail(opPos, `neither side of "${opText}" is a field`);
  }
  const a = isLit(a0) ? coerce(a0, b0 as Typed) : a0;
  const b = isLit(b0) ? coerce(b0, a) : b0;
  if (!compatible(a, b)) fail(b.pos, `${describe(a)} and cannot be compared with ${isLit(b0) ? litText(b0) : `${b.field?.name ?? 'a value'} (${VT_WORDS[b.vt]})`}`);
  return [a, b];
}

function compatible(a: Typed, b: Typed): boolean {
  if (isNumVT(a.vt) || isNumVT(b.vt)) return numClass(a.vt) === numClass(b.vt);
  if (a.vt === b.vt) return true;
  // Slices and protocols are plain bytes and compare with anything byte-like, strings included.
  if (a.vt === 'bytes' || a.vt === 'proto' || b.vt === 'bytes' || b.vt === 'proto') return true;
  return false;
}

// ---------------------------------------------------------------- runtime helpers (called by generated code)

/** Byte ranges equal. */
export function eqB(a: Buffer, ao: number, al: number, b: Buffer, bo: number, bl: number): boolean {
  if (al !== bl) return false;
  for (let i = 0; i < al; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** memcmp order; a shorter prefix sorts first. */
export function cmpB(a: Buffer, ao: number, al: number, b: Buffer, bo: number, bl: number): number {
  const n = al < bl ? al : bl;
  for (let i = 0; i < n; i++) {
    const x = a[ao + i], y = b[bo + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return al === bl ? 0 : al < bl ? -1 : 1;
}

/** Compare the first `bits` bits of a with a pre-masked prefix (IPv6 CIDR). */
export function cmpPfx(a: Buffer, ao: number, al: number, p: Buffer, bits: number): number {
  const n = p.length < al ? p.length : al;
  for (let i = 0; i < n; i++) {
    const keep = bits - i * 8;
    if (keep <= 0) return 0;
    const x = keep >= 8 ? a[ao + i] : a[ao + i] & ((0xff << (8 - keep)) & 0xff);
    const y = p[i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return al < p.length ? -1 : 0;
}

/** Offset of needle in haystack range, or -1. */
export function findB(a: Buffer, ao: number, al: number, b: Buffer, bo: number, bl: number): number {
  if (bl === 0) return 0;
  const first = b[bo];
  const last = ao + al - bl;
  outer: for (let i = ao; i <= last; i++) {
    if (a[i] !== first) continue;
    for (let j = 1; j < bl; j++) if (a[i + j] !== b[bo + j]) continue outer;
    return i - ao;
  }
  return -1;
}

export function anyNonZero(a: Buffer, ao: number, al: number): boolean {
  for (let i = 0; i < al; i++) if (a[ao + i] !== 0) return true;
  return false;
}

/** A reusable byte buffer for concatenated slices and masked bytes; grows, never shrinks. */
export class Scratch {
  buf = Buffer.alloc(64);
  get(n: number): Buffer {
    if (n > this.buf.length) this.buf = Buffer.alloc(Math.max(n, this.buf.length * 2));
    return this.buf;
  }
}

/** A field as string(): integers in decimal, addresses in their usual text. */
export function fieldString(f: FieldDef, d: Dissection, i: number, span: Span): string {
  switch (f.type) {
    case FT.UInt: case FT.Int: case FT.Hex: case FT.Bool: case FT.Double: return String(f.num!(d, i));
    case FT.IPv4: return ipv4ToString(f.num!(d, i));
    case FT.IPv6: return f.bytes!(d, i, span) ? ipv6At(span.buf, span.off) : '';
    case FT.Ether: return f.bytes!(d, i, span) ? macAt(span.buf, span.off) : '';
    default: return formatField(f, d, i);
  }
}

/** A `matches` pattern from the bytes of its string literal, or a filter error at `pos` naming what is wrong. */
export function compileRegex(pattern: Buffer, pos: number): ByteRegex {
  try {
    return compileByteRegex(pattern);
  } catch (e) {
    if (e instanceof RegexError) return fail(pos, e.reason);
    throw e;
  }
}

// ---------------------------------------------------------------- code generation

/** Terms of one and/or/xor run in one generated expression. */
const CHAIN = 64;

type Bound = { r: 'num'; v: string } | { r: 'bytes'; b: string; o: string; l: string } | { r: 'str'; v: string };

class Gen {
  readonly consts: unknown[] = [];
  private readonly decls: string[] = [];
  private readonly fns: string[] = [];
  private readonly fieldNames = new Map<FieldDef, number>();
  private uid = 0;

  constant(v: unknown): string {
    const i = this.consts.length;
    this.consts.push(v);
    this.decls.push(`const k${i} = C[${i}];`);
    return `k${i}`;
  }

  name(prefix: string): string {
    return `${prefix}${this.uid++}`;
  }

  /**
   * Accessors of a field, bound once to constants: monomorphic direct calls in the generated code.
   * They are called as plain functions of (d, i), as the registry declares them (arrow functions).
   */
  field(f: FieldDef): { count: string; num: string; bytes: string; range: string; text: string } {
    let i = this.fieldNames.get(f);
    if (i === undefined) {
      i = this.fieldNames.size;
      this.fieldNames.set(f, i);
      const k = this.constant(f);
      this.decls.push(`const c${i} = ${k}.count, n${i} = ${k}.num, b${i} = ${k}.bytes, r${i} = ${k}.range, x${i} = ${k}.text;`);
    }
    return { count: `c${i}`, num: `n${i}`, bytes: `b${i}`, range: `r${i}`, text: `x${i}` };
  }

  fn(body: string): string {
    const name = this.name('t');
    this.fns.push(`function ${name}(d) {\n${body}\n}`);
    return `${name}(d)`;
  }

  source(top: string): string {
    return `"use strict";\n${this.decls.join('\n')}\n${this.fns.join('\n')}\nreturn function displayFilter(d) { return ${top}; };`;
  }

  // Emit code that binds every value of `t` in turn and runs `k` for each.
  emit(t: Typed, k: (b: Bound) => string): string {
    const n = t.node;
    switch (n.k) {
      case 'const':
        if (t.repr === 'num') return k({ r: 'num', v: `(${n.num})` });
        if (t.repr === 'str') return k({ r: 'str', v: this.constant(n.str) });
        return k({ r: 'bytes', b: this.constant(n.buf), o: '0', l: String(n.buf!.length) });
      case 'field':
        return this.emitField(t, n.f, n.whole, k);
      case 'slice':
        return this.emitSlice(n.of, n.ranges, k);
      case 'len':
        return this.emit(n.of, (b) => {
          const v = this.name('v');
          if (b.r === 'str') return `const ${v} = Buffer.byteLength(${b.v});\n${k({ r: 'num', v })}`;
          if (b.r === 'bytes') return `const ${v} = ${b.l};\n${k({ r: 'num', v })}`;
          return `const ${v} = 4;\n${k({ r: 'num', v })}`; // an IPv4 address given as a number
        });
      case 'count': {
        const a = this.field(n.f);
        const v = this.name('v');
        return `const ${v} = ${a.count}(d);\nif (${v} > 0) {\n${k({ r: 'num', v })}\n}`;
      }
      case 'case':
        return this.emit(n.of, (b) => {
          const s = this.asStr(b);
          const v = this.name('v');
          return `${s.pre}const ${v} = ${s.v}.${n.upper ? 'toUpperCase' : 'toLowerCase'}();\n${k({ r: 'str', v })}`;
        });
      case 'string': {
        const fk = this.constant(n.f);
        const sp = this.constant(new Span());
        const fs = this.constant(fieldString);
        const i = this.name('i'), c = this.name('n'), v = this.name('v');
        return `for (let ${i} = 0, ${c} = ${this.field(n.f).count}(d); ${i} < ${c}; ${i}++) {\nconst ${v} = ${fs}(${fk}, d, ${i}, ${sp});\n${k({ r: 'str', v })}\n}`;
      }
      case 'abs':
        return this.emit(n.of, (b) => {
          const v = this.name('v');
          return `const ${v} = Math.abs(${(b as { v: string }).v});\n${k({ r: 'num', v })}`;
        });
      case 'neg':
        return this.emit(n.a, (b) => {
          const v = this.name('v');
          return `const ${v} = -${(b as { v: string }).v};\n${k({ r: 'num', v })}`;
        });
      case 'minmax': {
        const m = this.name('m'), has = this.name('h');
        let code = `let ${m} = ${n.max ? '-Infinity' : 'Infinity'}, ${has} = false;\n`;
        for (const a of n.args) {
          code += `{\n${this.emit(a, (b) => {
            const x = (b as { v: string }).v;
            return `if (${x} ${n.max ? '>' : '<'} ${m}) ${m} = ${x};\n${has} = true;`;
          })}\n}\n`;
        }
        return `${code}if (${has}) {\n${k({ r: 'num', v: m })}\n}`;
      }
      case 'arith':
        return this.emitArith(t, n.op, n.a, n.b, k);
    }
  }

  private emitField(t: Typed, f: FieldDef, whole: boolean, k: (b: Bound) => string): string {
    const a = this.field(f);
    const i = this.name('i'), c = this.name('n');
    const loop = (body: string): string => `for (let ${i} = 0, ${c} = ${a.count}(d); ${i} < ${c}; ${i}++) {\n${body}\n}`;
    if (t.repr === 'num') {
      const v = this.name('v');
      return loop(`const ${v} = ${a.num}(d, ${i});\n${k({ r: 'num', v })}`);
    }
    if (t.repr === 'str') {
      const v = this.name('v');
      return loop(`const ${v} = ${a.text}(d, ${i});\n${k({ r: 'str', v })}`);
    }
    const sp = this.constant(new Span());
    const b = this.name('b'), o = this.name('o'), l = this.name('l');
    const get = f.bytes ? a.bytes : a.range;
    // `tcp contains "x"` searches from the protocol's first byte to the end of the frame, as
    // Wireshark searches the protocol's tvb; slices and == use the protocol's own bytes.
    const len = whole ? `d.frameOff + d.capLen - ${o}` : `${sp}.len`;
    return loop(`if (${get}(d, ${i}, ${sp})) {\nconst ${b} = ${sp}.buf, ${o} = ${sp}.off, ${l} = ${len};\n${k({ r: 'bytes', b, o, l })}\n}`);
  }

  private asBytes(b: Bound): { pre: string; b: string; o: string; l: string } {
    if (b.r === 'bytes') return { pre: '', b: b.b, o: b.o, l: b.l };
    const x = this.name('x');
    if (b.r === 'str') return { pre: `const ${x} = Buffer.from(${b.v}, 'utf8');\n`, b: x, o: '0', l: `${x}.length` };
    // An IPv4 address held as a number, as its 4 bytes in network order.
    const sc = this.constant(Buffer.alloc(4));
    return { pre: `${sc}.writeUInt32BE(${b.v} >>> 0, 0);\n`, b: sc, o: '0', l: '4' };
  }

  private asStr(b: Bound): { pre: string; v: string } {
    if (b.r === 'str') return { pre: '', v: b.v };
    if (b.r === 'num') return { pre: '', v: `String(${b.v})` };
    const x = this.name('s');
    return { pre: `const ${x} = ${b.b}.toString('utf8', ${b.o}, ${b.o} + ${b.l});\n`, v: x };
  }

  private emitSlice(of: Typed, ranges: SliceRange[], k: (b: Bound) => string): string {
    return this.emit(of, (b0) => {
      const src = this.asBytes(b0);
      let code = src.pre;
      const parts: { s: string; e: string }[] = [];
      const conds: string[] = [];
      for (const r of ranges) {
        const s = this.name('s'), e = this.name('e');
        code += `let ${s} = ${r.start};\nif (${s} < 0) ${s} += ${src.l};\n`;
        if (r.end !== null) code += `let ${e} = ${r.end};\nif (${e} < 0) ${e} += ${src.l};\n${e} += 1;\n`;
        else if (r.len < 0) code += `const ${e} = ${src.l};\n`;
        else code += `const ${e} = ${s} + ${r.len};\n`;
        // A slice exists only when all of it lies inside the value (tshark: `frame[100-199]` needs 200 bytes).
        conds.push(`${s} >= 0 && ${e} > ${s} && ${e} <= ${src.l}`);
        parts.push({ s, e });
      }
      if (parts.length === 1) {
        const { s, e } = parts[0];
        return `${code}if (${conds[0]}) {\n${k({ r: 'bytes', b: src.b, o: `(${src.o} + ${s})`, l: `(${e} - ${s})` })}\n}`;
      }
      const sc = this.constant(new Scratch());
      const buf = this.name('cb'), tot = this.name('ct'), p = this.name('cp');
      let inner = `const ${tot} = ${parts.map((x) => `(${x.e} - ${x.s})`).join(' + ')};\nconst ${buf} = ${sc}.get(${tot});\nlet ${p} = 0;\n`;
      for (const x of parts) inner += `${src.b}.copy(${buf}, ${p}, ${src.o} + ${x.s}, ${src.o} + ${x.e});\n${p} += ${x.e} - ${x.s};\n`;
      return `${code}if (${conds.join(' && ')}) {\n${inner}${k({ r: 'bytes', b: buf, o: '0', l: tot })}\n}`;
    });
  }

  private emitArith(t: Typed, op: string, a: Typed, b: Typed, k: (b: Bound) => string): string {
    return this.emit(a, (ba) => this.emit(b, (bb) => {
      const v = this.name('v');
      if (ba.r === 'bytes' && bb.r === 'bytes') {
        const sc = this.constant(new Scratch());
        const len = this.name('l'), buf = this.name('cb'), j = this.name('j');
        return `const ${len} = ${ba.l} < ${bb.l} ? ${ba.l} : ${bb.l};\nconst ${buf} = ${sc}.get(${len});\n` +
          `for (let ${j} = 0; ${j} < ${len}; ${j}++) ${buf}[${j}] = ${ba.b}[${ba.o} + ${j}] & ${bb.b}[${bb.o} + ${j}];\n` +
          k({ r: 'bytes', b: buf, o: '0', l: len });
      }
      const x = (ba as { v: string }).v, y = (bb as { v: string }).v;
      const int = t.vt === 'int';
      switch (op) {
        case '&': return `const ${v} = (${x} & ${y}) >>> 0;\n${k({ r: 'num', v })}`;
        case '+': case '-': case '*': return `const ${v} = ${x} ${op} ${y};\n${k({ r: 'num', v })}`;
        // Division by zero gives no value, so the comparison does not match.
        case '/': return `if (${y} !== 0) {\nconst ${v} = ${int ? `Math.trunc(${x} / ${y})` : `${x} / ${y}`};\n${k({ r: 'num', v })}\n}`;
        default: return `if (${y} !== 0) {\nconst ${v} = ${x} % ${y};\n${k({ r: 'num', v })}\n}`;
      }
    }));
  }

  // ---- tests

  expr(e: Expr): string {
    switch (e.k) {
      case 'and': case 'or': case 'xor': return this.chain(e.k, e);
      case 'not': return `!${this.expr(e.a)}`;
      case 'exists': return this.exists(checkExists(e.v));
      case 'cmp': return this.cmp(e);
      case 'in': {
        const call = this.inSet(e.a, e.set);
        return e.negated ? `!${call}` : call;
      }
    }
  }

  /**
   * A run of the same operator (`a or b or c …`, left-nested by the parser) as one flat
   * expression; long runs, as tools that write filters produce, go into functions of at most
   * CHAIN terms each so neither this compiler nor V8's parser recurses once per term.
   */
  private chain(op: 'and' | 'or' | 'xor', e: Expr): string {
    const terms: Expr[] = [];
    let x: Expr = e;
    while (x.k === op) {
      terms.push(x.b);
      x = x.a;
    }
    terms.push(x);
    terms.reverse();
    const js = op === 'and' ? ' && ' : op === 'or' ? ' || ' : ' !== ';
    let parts = terms.map((t) => this.expr(t));
    while (parts.length > CHAIN) {
      const grouped: string[] = [];
      for (let i = 0; i < parts.length; i += CHAIN) grouped.push(this.fn(`return ${parts.slice(i, i + CHAIN).join(js)};`));
      parts = grouped;
    }
    return `(${parts.join(js)})`;
  }

  private exists(t: Typed): string {
    if (t.node.k === 'field') return `(${this.field(t.node.f).count}(d) > 0)`;
    // A bare `x & mask` tests for a non-zero result, as in `tcp.flags & 0x02`.
    const truthy = t.node.k === 'arith' && t.node.op === '&';
    return this.fn(this.emit(t, (b) => {
      if (!truthy) return 'return true;';
      if (b.r === 'num') return `if (${b.v} !== 0) return true;`;
      if (b.r === 'bytes') return `if (${this.constant(anyNonZero)}(${b.b}, ${b.o}, ${b.l})) return true;`;
      return `if (${b.v}.length > 0) return true;`;
    }) + '\nreturn false;');
  }

  private cmp(e: Extract<Expr, { k: 'cmp' }>): string {
    const opText = e.op;
    let rel: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'contains' | 'matches';
    let quant: 'any' | 'all';
    switch (e.op) {
      case '==': rel = 'eq'; quant = 'any'; break;
      case '!=': rel = 'ne'; quant = 'all'; break;
      case '===': rel = 'eq'; quant = 'all'; break;
      case '!==': rel = 'ne'; quant = 'any'; break;
      case '<': rel = 'lt'; quant = 'any'; break;
      case '<=': rel = 'le'; quant = 'any'; break;
      case '>': rel = 'gt'; quant = 'any'; break;
      case '>=': rel = 'ge'; quant = 'any'; break;
      default: rel = e.op; quant = 'any';
    }
    if (e.quant) quant = e.quant;

    const a0 = check(e.a);
    if (isLit(a0) && e.a.k === 'word' && (rel === 'contains' || rel === 'matches')) unknownField(e.a.text, e.a.pos);
    if (rel === 'matches') return this.matches(a0, e.b, e.opPos, quant);
    const b0 = check(e.b);
    let [a, b] = checkPair(a0, b0, opText, e.opPos, e.a, e.b);
    if (rel === 'contains') {
      if (isLit(a0)) fail(e.a.pos, 'the left side of "contains" must be a field');
      if (isNumVT(a.vt) || a.vt === 'ipv6') fail(e.a.pos, `${describe(a)} and cannot be searched with "contains" (it applies to strings, bytes and protocols)`);
      if (a.node.k === 'field' && a.vt === 'proto') a = { ...a, node: { ...a.node, whole: true } };
    }
    if (a.vt === 'proto' && a.node.k === 'field' && !a.node.f.range && !a.node.f.bytes) fail(e.a.pos, `${a.node.f.name} has no bytes that tcpwatch can compare`);
    if (b.vt === 'proto' && b.node.k === 'field' && !b.node.f.range && !b.node.f.bytes) fail(e.b.pos, `${b.node.f.name} has no bytes that tcpwatch can compare`);

    const mode = compareMode(a, b);
    a = asMode(a, mode);
    b = asMode(b, mode);
    const body = (ba: Bound, bb: Bound): { pre: string; cond: string } => this.relation(rel, mode, ba, bb, a, b);
    return this.quantified(a, b, quant, body);
  }

  private quantified(a: Typed, b: Typed, quant: 'any' | 'all', body: (ba: Bound, bb: Bound) => { pre: string; cond: string }): string {
    const seen = this.name('seen');
    const code = this.emit(a, (ba) => this.emit(b, (bb) => {
      const { pre, cond } = body(ba, bb);
      return quant === 'any' ? `${pre}if (${cond}) return true;` : `${pre}${seen} = true;\nif (!(${cond})) return false;`;
    }));
    return this.fn(quant === 'any' ? `${code}\nreturn false;` : `let ${seen} = false;\n${code}\nreturn ${seen};`);
  }

  private relation(rel: string, mode: Repr, ba: Bound, bb: Bound, a: Typed, b: Typed): { pre: string; cond: string } {
    const jsOp: Record<string, string> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };
    if (mode === 'num') {
      let x = (ba as { v: string }).v, y = (bb as { v: string }).v;
      // An IPv4 literal with a prefix compares the masked address (ip.addr == 10.0.0.0/8).
      const bits = (t: Typed): number => (t.node.k === 'const' && t.vt === 'ipv4' ? t.node.bits ?? 32 : 32);
      if (bits(b) < 32) x = `((${x} & ${ipv4Mask(bits(b))}) >>> 0)`;
      if (bits(a) < 32) y = `((${y} & ${ipv4Mask(bits(a))}) >>> 0)`;
      return { pre: '', cond: `${x} ${jsOp[rel]} ${y}` };
    }
    if (mode === 'str') {
      const x = this.asStr(ba), y = this.asStr(bb);
      const cond = rel === 'contains' ? `${x.v}.includes(${y.v})` : `${x.v} ${jsOp[rel]} ${y.v}`;
      return { pre: x.pre + y.pre, cond };
    }
    const x = this.asBytes(ba), y = this.asBytes(bb);
    const pre = x.pre + y.pre;
    const args = `${x.b}, ${x.o}, ${x.l}, ${y.b}, ${y.o}, ${y.l}`;
    if (rel === 'contains') return { pre, cond: `${this.constant(findB)}(${args}) >= 0` };
    const pfx = (t: Typed): number => (t.node.k === 'const' && t.vt === 'ipv6' ? t.node.bits ?? 128 : 128);
    if (pfx(b) < 128 || pfx(a) < 128) {
      const [field, lit, flip] = pfx(b) < 128 ? [x, b, false] : [y, a, true];
      const node = lit.node as { buf: Buffer; bits: number };
      const c = `${this.constant(cmpPfx)}(${field.b}, ${field.o}, ${field.l}, ${this.constant(node.buf)}, ${node.bits})`;
      return { pre, cond: flip ? `0 ${jsOp[rel]} ${c}` : `${c} ${jsOp[rel]} 0` };
    }
    if (rel === 'eq') return { pre, cond: `${this.constant(eqB)}(${args})` };
    if (rel === 'ne') return { pre, cond: `!${this.constant(eqB)}(${args})` };
    return { pre, cond: `${this.constant(cmpB)}(${args}) ${jsOp[rel]} 0` };
  }

  private matches(a0: Checked, bv: Value, opPos: number, quant: 'any' | 'all'): string {
    if (isLit(a0)) return fail(opPos, 'the left side of "matches" must be a field');
    const a = a0.node.k === 'field' && a0.vt === 'proto' ? { ...a0, node: { ...a0.node, whole: true } } : a0;
    if (a.vt !== 'string' && a.vt !== 'bytes' && a.vt !== 'proto') fail(a.pos, `${describe(a)} and cannot be matched with a regular expression (use string(${a.field?.name ?? 'field'}) to match its text)`);
    if (a.vt === 'proto' && a.node.k === 'field' && !a.node.f.range && !a.node.f.bytes) fail(a.pos, `${a.node.f.name} has no bytes that tcpwatch can match`);
    if (bv.k !== 'string') return fail(bv.pos, 'a regular expression must be a double-quoted string');
    // The pattern is the literal's bytes and is matched against the field's bytes, as PCRE2
    // without UTF matches in Wireshark (src/filter/regex.ts).
    const rk = this.constant(compileRegex(bv.bytes, bv.pos));
    const dummy: Typed = { vt: 'string', repr: 'str', node: { k: 'const', str: '' }, pos: bv.pos };
    return this.quantified(a, dummy, quant, (ba) => {
      if (ba.r === 'bytes') return { pre: '', cond: `${rk}.test(${ba.b}, ${ba.o}, ${ba.l})` };
      const s = this.asStr(ba);
      return { pre: s.pre, cond: `${rk}.testString(${s.v})` };
    });
  }

  private inSet(av: Value, set: SetElem[]): string {
    const a0 = check(av);
    if (isLit(a0)) return av.k === 'word' ? unknownField(av.text, av.pos) : fail(av.pos, 'the left side of "in" must be a field');
    const a = a0;
    if (a.vt === 'proto' && a.node.k === 'field' && !a.node.f.range && !a.node.f.bytes) fail(av.pos, `${a.node.f.name} has no bytes that tcpwatch can compare`);
    const elem = (v: Value): Typed => {
      const c = check(v);
      if (!isLit(c)) return fail(v.pos, 'set elements are values (numbers, addresses, strings), not fields');
      return coerce(c, a);
    };
    const items = set.map((s) => ({ lo: elem(s.lo), hi: s.hi ? elem(s.hi) : null, pos: s.lo.pos }));
    for (const it of items) {
      if (it.hi && a.repr !== 'num') fail(it.pos, `a range "a..b" needs numbers or IPv4 addresses; ${describe(a)}`);
    }
    const mode = compareMode(a, a);
    return this.fn(this.emit(a, (ba) => {
      const conds: string[] = [];
      let pre = '';
      const plainInts: number[] = [];
      for (const it of items) {
        const bits = (it.lo.node as { bits?: number }).bits;
        if (mode === 'num' && !it.hi && (bits === undefined || bits === 32)) {
          plainInts.push((it.lo.node as { num: number }).num);
          continue;
        }
        if (it.hi) {
          const v = (ba as { v: string }).v;
          conds.push(`(${v} >= ${(it.lo.node as { num: number }).num} && ${v} <= ${(it.hi.node as { num: number }).num})`);
          continue;
        }
        const lo = asMode(it.lo, mode);
        const r = this.relation('eq', mode, ba, constBound(this, lo), a, lo);
        pre += r.pre;
        conds.push(`(${r.cond})`);
      }
      if (plainInts.length > 0) {
        const v = (ba as { v: string }).v;
        if (plainInts.length > 6) conds.unshift(`${this.constant(new Set(plainInts))}.has(${v})`);
        else conds.unshift(...plainInts.map((n) => `${v} === ${n}`));
      }
      return `${pre}if (${conds.join(' || ')}) return true;`;
    }) + '\nreturn false;');
  }
}

function constBound(g: Gen, t: Typed): Bound {
  const n = t.node as { num?: number; buf?: Buffer; str?: string };
  if (t.repr === 'num') return { r: 'num', v: `(${n.num})` };
  if (t.repr === 'str') return { r: 'str', v: g.constant(n.str) };
  return { r: 'bytes', b: g.constant(n.buf), o: '0', l: String(n.buf!.length) };
}

/**
 * How two values compare: as numbers, as JS strings (when a field only gives its text), or as
 * bytes in place (everything else, including string fields that expose their bytes).
 */
function compareMode(a: Typed, b: Typed): Repr {
  if (isNumVT(a.vt)) return 'num';
  const computedText = (t: Typed): boolean => t.repr === 'str' && t.node.k !== 'const';
  const byteLike = (t: Typed): boolean => t.vt === 'bytes' || t.vt === 'proto';
  if ((computedText(a) || computedText(b)) && !byteLike(a) && !byteLike(b)) return 'str';
  return 'bytes';
}

/** A literal held the way the comparison needs it (a string literal has both its text and bytes). */
function asMode(t: Typed, mode: Repr): Typed {
  if (t.node.k !== 'const' || t.repr === mode || mode === 'num') return t;
  if (mode === 'bytes' && t.node.buf) return { ...t, repr: 'bytes' };
  if (mode === 'str' && t.node.str !== undefined) return { ...t, repr: 'str' };
  return t;
}

export interface CompileResult {
  filter: CompiledFilter;
  /** The generated JavaScript, for tests and for anyone curious how a filter runs. */
  source: string;
}

export function compileExpr(e: Expr): CompileResult {
  const g = new Gen();
  const top = g.expr(e);
  const source = g.source(top);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const filter = new Function('C', source)(g.consts) as CompiledFilter;
  return { filter, source };
}

export type { RelOp };
