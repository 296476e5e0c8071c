// Where column text goes. The Info and summary builders write their pieces to a TextWriter, so the
// same code fills a string (the UI's rows, the packet store) and, for headless output, encodes
// straight into the output buffer without building a line per packet.

import { sanitizeText } from './sanitize';

export interface TextWriter {
  write(s: string): void;
  /** A non-negative whole number in decimal, right-aligned in `width` with spaces (or zeros). */
  writeUInt(n: number, width?: number, zeroPad?: boolean): void;
  /** Text from a packet: what sanitizeText makes of it. */
  writeSanitized(s: string): void;
}

// Output never builds a string V8 cannot hold (2^29 characters: past it, `+=` and JSON.stringify
// throw "RangeError: Invalid string length"), however long the values a packet carries. One value (a
// field occurrence, a details line) is kept up to MAX_VALUE_CHARS characters; one packet's text (a
// builder, a JSON document's values) up to MAX_PACKET_CHARS. What is cut ends with the mark
// "...[cut: N chars]", N the number of characters left out, so a reader sees that and how much. The
// mark is ASCII so that cutting latin1 text keeps it a one-byte string (V8 stores a string with one
// wider character at two bytes a character) and so that it reads the same on any terminal.

/** Longest text of one value that output keeps. */
export const MAX_VALUE_CHARS = 1 << 20;
/**
 * Longest text of one packet that output builds as one string. JSON may escape a character as six
 * (\u001b), and six times this stays well under V8's limit.
 */
export const MAX_PACKET_CHARS = 16 << 20;

/** The mark that ends cut text; `left` characters were left out. */
export function cutMark(left: number): string {
  return `...[cut: ${left} chars]`;
}

/** Where to cut `s` to keep at most `max` characters: never between the halves of a surrogate pair. */
function cutAt(s: string, max: number): number {
  if (s.length <= max) return s.length;
  let end = Math.max(0, max);
  if (end > 0) {
    const c = s.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
  }
  return end;
}

/** `s` as output keeps it: whole up to `max` characters, else its first `max` and the cut mark. */
export function cutText(s: string, max = MAX_VALUE_CHARS): string {
  const end = cutAt(s, max);
  return end === s.length ? s : s.slice(0, end) + cutMark(s.length - end);
}

/**
 * A TextWriter that collects a string; one per call, so builders may nest. It keeps at most `max`
 * characters (MAX_PACKET_CHARS by default); what comes after is counted and shown as the cut mark.
 */
export class StringBuilder implements TextWriter {
  private kept = '';
  private left = 0;

  constructor(private readonly max = MAX_PACKET_CHARS) {}

  get text(): string {
    return this.left === 0 ? this.kept : this.kept + cutMark(this.left);
  }

  write(s: string): void {
    if (this.left === 0 && this.kept.length + s.length <= this.max) {
      this.kept += s;
      return;
    }
    const end = this.left === 0 ? cutAt(s, this.max - this.kept.length) : 0;
    if (end > 0) this.kept += s.slice(0, end);
    this.left += s.length - end;
  }

  writeUInt(n: number, width = 0, zeroPad = false): void {
    this.write(width > 0 ? String(n).padStart(width, zeroPad ? '0' : ' ') : String(n));
  }

  writeSanitized(s: string): void {
    this.write(sanitizeText(s));
  }
}

/** How many decimal digits a non-negative whole number has. */
export function decimalDigits(n: number): number {
  // Most numbers a line carries (frame numbers, lengths, ports, sequence numbers) fit in 32 bits,
  // where comparisons against powers of ten are much cheaper than a dividing loop.
  if (n < 4294967296) {
    if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
    return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  }
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  return digits;
}
