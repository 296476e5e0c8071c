// Drawing straight into blessed's cell buffer: no tag parsing, no content strings per element, so a
// widget costs only the cells it shows and no text can smuggle markup or escapes to the terminal.

import type { ScreenLine } from 'blessed';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const unicode: { charWidth(s: string, i?: number): number } = require('blessed/lib/unicode');

export const BOLD = 1;
export const UNDERLINE = 2;
export const BLINK = 4;
export const INVERSE = 8;
/** blessed's "default colour" value for fg and bg. */
export const DEFAULT = 0x1ff;

/** A blessed cell attribute. */
export function attr(flags: number, fg: number = DEFAULT, bg: number = DEFAULT): number {
  return (flags << 18) | (fg << 9) | bg;
}

export const PLAIN = attr(0);

export function flagsOf(a: number): number {
  return a >> 18;
}

/** The attribute with its flags (bold, underline, inverse …) replaced, colours kept. */
export function withFlags(a: number, flags: number): number {
  return (a & 0x3ffff) | (flags << 18);
}

/** One printable character per cell: controls, wide and zero-width characters become '?'. */
function cellChar(s: string, i: number): string {
  const c = s.charCodeAt(i);
  if (c >= 0x20 && c < 0x7f) return s[i];
  if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return '?';
  if (c >= 0xd800 && c <= 0xdfff) return '?';
  return unicode.charWidth(s, i) === 1 ? s[i] : '?';
}

/** Write text into line[x, xEnd) with attribute a; returns the column after the text. */
export function put(line: ScreenLine | undefined, x: number, xEnd: number, text: string, a: number): number {
  if (line === undefined) return x;
  const n = text.length;
  for (let i = 0; i < n && x < xEnd; i++) {
    const c = text.charCodeAt(i);
    // a surrogate pair is one (unsupported) character, not two
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) i++;
    const cell = line[x];
    if (cell !== undefined) {
      cell[0] = a;
      cell[1] = cellChar(text, i);
    }
    x++;
  }
  line.dirty = true;
  return x;
}

/** Fill line[x, xEnd) with ch. */
export function fill(line: ScreenLine | undefined, x: number, xEnd: number, a: number, ch = ' '): void {
  if (line === undefined) return;
  for (; x < xEnd; x++) {
    const cell = line[x];
    if (cell !== undefined) {
      cell[0] = a;
      cell[1] = ch;
    }
  }
  line.dirty = true;
}

/** Text cut or padded to exactly `width` characters. */
export function fit(text: string, width: number, right = false): string {
  if (width <= 0) return '';
  if (text.length > width) return width > 1 ? text.slice(0, width - 1) + '\u2026' : text.slice(0, width);
  return right ? text.padStart(width) : text.padEnd(width);
}
