// Hex and ASCII dump in tshark's -x layout: offset, 16 bytes in hex, then the printable ASCII.

import { asciiOrDot } from './sanitize';

const HEX = '0123456789abcdef';

export function hexDumpLines(buf: Buffer, off: number, len: number): string[] {
  const lines: string[] = [];
  // The offsets take four hex digits, more when the last one needs them (tshark's 00000 past 64 KiB).
  const digits = len > 0x10000 ? (len - 1).toString(16).length : 4;
  for (let row = 0; row < len; row += 16) {
    let hex = '';
    let ascii = '';
    const n = Math.min(16, len - row);
    for (let i = 0; i < 16; i++) {
      if (i < n) {
        const b = buf[off + row + i];
        hex += (i ? ' ' : '') + HEX[b >> 4] + HEX[b & 15];
        ascii += asciiOrDot(b);
      } else {
        hex += '   ';
      }
    }
    lines.push(`${row.toString(16).padStart(digits, '0')}  ${hex}   ${ascii}`);
  }
  return lines;
}
