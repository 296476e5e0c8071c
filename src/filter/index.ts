// Display filters in Wireshark's language, for -Y and the UI's filter prompt.
//
//   compileFilter('tcp.port == 443 && tls.handshake.type == 1')  → (d: Dissection) => boolean
//   checkFilter('tcp.prot == 1') → { ok: false, column: 1, error: 'unknown field "tcp.prot" (did you mean "tcp.port"?)' }
//
// Fields are looked up in the registry when a filter is compiled, so a filter can use every field
// registered by then (import src/fields, and the modules that add TLS and analysis fields, first).

import { hooks } from '../hooks';
import { UsageError } from '../errors';
import { FilterSyntaxError } from './lexer';
import { parseFilter } from './parser';
import { compileExpr, CompiledFilter } from './compiler';
import { Expr, Value } from './parser';
import { getField } from '../fields/registry';

export type { CompiledFilter } from './compiler';
export { parseFilter } from './parser';

/** A display filter mistake: `message` is the one line the CLI prints; `column` is 1-based. */
export class DisplayFilterError extends UsageError {
  constructor(readonly column: number, readonly reason: string, readonly filter: string) {
    super(`display filter error at column ${column}: ${reason}`);
  }
}

const MATCH_ALL: CompiledFilter = () => true;

function translate(expr: string, e: unknown): never {
  if (e instanceof FilterSyntaxError) throw new DisplayFilterError(e.pos + 1, e.reason, expr);
  // Nesting is limited in the parser; a stack overflow left (a very long arithmetic chain) is
  // still the filter's size, not a crash.
  if (e instanceof RangeError && /call stack/.test(e.message)) throw new DisplayFilterError(1, 'the filter is too large for tcpwatch to compile', expr);
  throw e;
}

/** Compile a filter once; throws DisplayFilterError (a UsageError) naming the column of the mistake. An empty filter matches everything, as in tshark. */
export function compileFilter(expr: string): CompiledFilter {
  if (expr.trim() === '') return MATCH_ALL;
  try {
    return compileExpr(parseFilter(expr)).filter;
  } catch (e) {
    return translate(expr, e);
  }
}

/** The JavaScript a filter compiles to (for tests and curious users). */
export function filterSource(expr: string): string {
  try {
    return compileExpr(parseFilter(expr)).source;
  } catch (e) {
    return translate(expr, e);
  }
}

export interface FilterCheck {
  ok: boolean;
  /** What is wrong, without the "display filter error at column N" prefix; '' when ok. */
  error: string;
  /** 1-based column of the mistake; 0 when ok. */
  column: number;
}

/** Validate a filter without throwing, for a prompt that marks mistakes as the user types. */
export function checkFilter(expr: string): FilterCheck {
  try {
    compileFilter(expr);
    return { ok: true, error: '', column: 0 };
  } catch (e) {
    if (e instanceof DisplayFilterError) return { ok: false, error: e.reason, column: e.column };
    return { ok: false, error: (e as Error).message, column: 1 };
  }
}

hooks.compileFilter = compileFilter;

// ---------------------------------------------------------------- colouring rules

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)+$/;

/** Words of a value that name no field tcpwatch knows ("smb", "hsrp.state"); literals are left alone. */
function unknownWords(v: Value, bare: boolean, out: string[]): void {
  switch (v.k) {
    case 'word':
      if (!getField(v.text) && (bare || FIELD_NAME.test(v.text))) out.push(v.text);
      return;
    case 'slice': unknownWords(v.of, true, out); return;
    case 'call': for (const a of v.args) unknownWords(a, false, out); return;
    case 'arith': unknownWords(v.a, false, out); unknownWords(v.b, false, out); return;
    case 'neg': unknownWords(v.a, false, out); return;
    default:
  }
}

/**
 * A test naming a protocol or field tcpwatch does not dissect can never be true here: the packet
 * cannot have it. Such tests become "not frame" (false for every packet), so `!pim` stays true.
 */
function withoutUnknown(e: Expr, unknown: string[]): Expr {
  switch (e.k) {
    case 'or': case 'and': case 'xor': return { ...e, a: withoutUnknown(e.a, unknown), b: withoutUnknown(e.b, unknown) };
    case 'not': return { ...e, a: withoutUnknown(e.a, unknown) };
    default: {
      const found: string[] = [];
      if (e.k === 'exists') unknownWords(e.v, true, found);
      else if (e.k === 'cmp') { unknownWords(e.a, false, found); unknownWords(e.b, false, found); }
      else { unknownWords(e.a, false, found); for (const s of e.set) { unknownWords(s.lo, false, found); if (s.hi) unknownWords(s.hi, false, found); } }
      if (found.length === 0) return e;
      unknown.push(...found);
      return { k: 'not', a: { k: 'exists', v: { k: 'word', text: 'frame', pos: e.pos, len: 5 }, pos: e.pos }, pos: e.pos };
    }
  }
}

export interface RuleFilter {
  filter: CompiledFilter;
  /** Protocols and fields the rule names that tcpwatch does not dissect (their tests are false). */
  unknown: string[];
}

/**
 * Compile the filter of a colouring rule (Wireshark's colorfilters): as compileFilter, except that
 * protocols and fields tcpwatch does not know make their test false instead of an error, so a
 * Wireshark profile's rules for HSRP or SMB load and simply never match.
 */
export function compileRuleFilter(expr: string): RuleFilter {
  if (expr.trim() === '') return { filter: MATCH_ALL, unknown: [] };
  try {
    const unknown: string[] = [];
    const e = withoutUnknown(parseFilter(expr), unknown);
    return { filter: compileExpr(e).filter, unknown };
  } catch (e) {
    return translate(expr, e);
  }
}

hooks.compileRuleFilter = compileRuleFilter;
