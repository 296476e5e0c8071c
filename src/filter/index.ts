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
