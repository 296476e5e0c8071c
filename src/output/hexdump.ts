// Hex and ASCII dumps: tshark's -x layout (offset, 16 bytes in hex, then the printable ASCII), and
// the layout of its -z follow,…,hex (eight-digit offsets that count one side's bytes).

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

/**
 * `data` as tshark's -z follow,…,ascii prints one chunk: printable ASCII, CR and LF as they are,
 * every other byte a dot (a copy: the caller's bytes are left alone).
 */
export function followAsciiBytes(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    out[i] = b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) ? b : 0x2e;
  }
  return out;
}

/**
 * `data` as tshark's -z follow,…,hex prints one chunk: the offset (of the chunk's side's bytes so
 * far) in eight upper-case digits, the bytes in two groups of eight, the printable ASCII.
 */
export function followHexLines(data: Buffer, offset: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += 16) {
    const end = Math.min(data.length, i + 16);
    let hex = '', text = '';
    for (let j = i; j < end; j++) {
      const b = data[j];
      hex += HEX[b >> 4] + HEX[b & 15] + ' ';
      text += asciiOrDot(b);
      if (j - i === 7) { hex += ' '; if (j + 1 < end) text += ' '; }
    }
    // tshark drops one space at the end of the text column, even a space byte's
    if (text.endsWith(' ')) text = text.slice(0, -1);
    lines.push(`${(offset + i).toString(16).toUpperCase().padStart(8, '0')}  ${hex.padEnd(49)} ${text}`);
  }
  return lines;
}
