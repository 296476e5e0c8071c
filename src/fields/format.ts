// Turning a field's value into text exactly as tshark prints it with `-T fields`, and the
// address formats every view shares.

import { Dissection } from '../decode/dissection';
import { FieldDef, FT, Span } from './registry';

const span = new Span();
const HEX = '0123456789abcdef';

export function ipv4ToString(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

// Captures repeat the same few addresses on every row; their text is kept rather than rebuilt
// from four numbers each time. Bounded: the cache starts over when full.
const ipv4Text = new Map<number, string>();
const IPV4_TEXT_CACHE = 65536;

export function ipv4At(buf: Buffer, off: number): string {
  const n = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
  let s = ipv4Text.get(n);
  if (s === undefined) {
    if (ipv4Text.size >= IPV4_TEXT_CACHE) ipv4Text.clear();
    s = `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
    ipv4Text.set(n, s);
  }
  return s;
}

/** A line of a text protocol as tshark's format_text shows it: printable ASCII as is, other bytes as \\xNN. */
export function printableAsciiText(buf: Buffer, off: number, len: number): string {
  let s = '';
  for (let i = off; i < off + len; i++) {
    const b = buf[i];
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** Text as Wireshark decodes ENC_ASCII: bytes above 0x7f become U+FFFD. */
export function asciiText(buf: Buffer, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = buf[off + i];
    s += c < 0x80 ? String.fromCharCode(c) : '\ufffd';
  }
  return s;
}

/** Wireshark's checksum statuses (`*.checksum.status`), by their value. */
export const enum ChecksumStatus {
  Bad = 0,
  Good = 1,
  Unverified = 2,
  NotPresent = 3,
}
export const CHECKSUM_STATUS_NAMES: readonly string[] = ['Bad', 'Good', 'Unverified', 'Not present'];

export function macAt(buf: Buffer, off: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = buf[off + i];
    s += (i ? ':' : '') + HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}

/** IPv6 text per RFC 5952: lowercase, leading zeros dropped, the longest run of 2+ zero groups as "::". */
export function ipv6At(buf: Buffer, off: number): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = buf.readUInt16BE(off + i * 2);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped (::ffff:a.b.c.d) is written with a dotted quad, as Wireshark does.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) {
    return `::ffff:${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += g[i].toString(16);
  }
  return s;
}

/** Seconds as Wireshark's unsigned_time_secs_to_str writes them: `1 day, 2 hours, 3 minutes, 4 seconds`. */
export function secondsText(v: number): string {
  if (v === 0) return '0 seconds';
  const parts: string[] = [];
  const unit = (n: number, what: string): void => {
    if (n !== 0) parts.push(`${n} ${what}${n === 1 ? '' : 's'}`);
  };
  unit(Math.floor(v / 86400), 'day');
  unit(Math.floor((v % 86400) / 3600), 'hour');
  unit(Math.floor((v % 3600) / 60), 'minute');
  unit(v % 60, 'second');
  return parts.join(', ');
}

/** How tshark 4.0's -T fields prints a bytes field of no bytes (an option or extension without data). */
export const MISSING_BYTES = '<MISSING>';

export function hexOf(buf: Buffer, off: number, len: number, sep = ''): string {
  // Long runs (a header block, a certificate, a payload) are written as bytes and decoded once: a
  // string grown two characters at a time costs time and garbage in proportion to its length.
  const end = Math.min(off + len, buf.length);
  if (sep === '') return end > off ? buf.toString('hex', off, end) : '';
  if (sep.length === 1 && sep.charCodeAt(0) < 0x80 && end - off > 8) {
    const n = end - off, out = Buffer.allocUnsafe(3 * n - 1), code = sep.charCodeAt(0);
    for (let i = 0, o = 0; i < n; i++) {
      const b = buf[off + i];
      if (i > 0) out[o++] = code;
      out[o++] = HEX_CODES[b >> 4];
      out[o++] = HEX_CODES[b & 15];
    }
    return out.toString('latin1');
  }
  let s = '';
  for (let i = off; i < end; i++) {
    const b = buf[i];
    if (sep && i > off) s += sep;
    s += HEX[b >> 4] + HEX[b & 15];
  }
  return s;
}
const HEX_CODES = Uint8Array.from(HEX, (c) => c.charCodeAt(0));

/** Seconds and nanoseconds as "S.NNNNNNNNN" (frame.time_epoch); negative differences keep their sign. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * An absolute time as Wireshark writes one: `Jun 10, 2020 09:21:03.720289000 UTC`, or in local time
 * with the zone's abbreviation (Wireshark's ABSOLUTE_TIME_LOCAL, which the frame's arrival time uses).
 */
export function absoluteTimeText(sec: number, nsec = 0, local = false): string {
  const t = new Date(sec * 1000);
  if (Number.isNaN(t.getTime())) return String(sec);
  const ns = String(Math.max(0, Math.min(999999999, Math.trunc(nsec)))).padStart(9, '0');
  if (!local) {
    return `${MONTHS[t.getUTCMonth()]} ${String(t.getUTCDate()).padStart(2, ' ')}, ${t.getUTCFullYear()} ` +
      `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}.${ns} UTC`;
  }
  return `${MONTHS[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')}, ${t.getFullYear()} ` +
    `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}.${ns} ${zoneName(t)}`;
}

/** The local zone's abbreviation at `t` (`UTC`, `CET`, `PST`), as the C library's strftime %Z writes it where Intl knows it. */
function zoneName(t: Date): string {
  if (t.getTimezoneOffset() === 0 && (process.env.TZ === undefined || process.env.TZ === '' || /^(UTC|GMT|Etc\/UTC|UTC0)$/.test(process.env.TZ))) return 'UTC';
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(t).find((x) => x.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

export function secNsecToString(sec: number, nsec: number): string {
  if (sec < 0 || (sec === 0 && nsec < 0)) {
    let s = -sec, n = -nsec;
    if (n < 0) { s -= 1; n += 1e9; }
    return '-' + secNsecToString(s, n);
  }
  if (nsec < 0) { sec -= 1; nsec += 1e9; }
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/**
 * 'fields' and 'json' print a value as tshark's -T fields and -T json do; 'display' as its tree and
 * custom columns show it, which differs for hex: a field under a bitmask is shown with as many
 * digits as the mask has bits (0x002 for tcp.flags, 0x25bab for ipv6.flow, Wireshark's
 * hfinfo_hex_digits), while -T fields pads to the type's width (0x0002, 0x025bab).
 */
export type FormatStyle = 'fields' | 'json' | 'display';

/** Hex digits of a field's value in the tree and custom columns: its mask's width, else its declared width. */
export function displayHexDigits(f: FieldDef): number {
  if (f.mask !== undefined && f.mask !== 0) {
    let m = f.mask;
    while ((m & 1) === 0) m = Math.floor(m / 2);
    let bits = 0;
    for (; m > 0 && bits < 64; bits++) m = Math.floor(m / 2);
    return Math.ceil(bits / 4);
  }
  return f.hexDigits ?? (f.valueBits !== undefined ? f.valueBits / 4 : 2);
}

/** Hex digits -T fields and -T json print: the width of the field's type (FT_UINT24: 6). */
function typeHexDigits(f: FieldDef): number {
  return f.valueBits !== undefined ? f.valueBits / 4 : f.hexDigits ?? 2;
}

/**
 * A boolean's words, as Wireshark's true_false_string names its values in the tree and in a
 * resolved (R) custom column: the field's own (`display`, else its value names for 1 and 0), else
 * "Set"/"Not set" for a bit under a mask (tfs_set_notset, which most of Wireshark's bit fields
 * use) unless it registers none (`trueFalse`), else "True"/"False" (tfs_true_false).
 */
export function booleanWords(f: FieldDef, d: Dissection, i: number): string {
  if (f.display) return f.display(d, i);
  const set = f.num!(d, i) !== 0;
  const named = f.valueNames?.[set ? 1 : 0];
  if (named !== undefined && f.valueNames?.[set ? 0 : 1] !== undefined) return named;
  if (f.mask !== undefined && !f.trueFalse) return set ? 'Set' : 'Not set';
  return set ? 'True' : 'False';
}

/** Occurrence i of a field as tshark prints it; '' when absent. */
export function formatField(f: FieldDef, d: Dissection, i: number, style: FormatStyle = 'fields'): string {
  // A presence-only field prints as 1 whatever its tree says (an expert item's message); a protocol prints its text.
  if (f.type === FT.None && f.name !== f.proto) return '1';
  if (f.text) return f.text(d, i);
  switch (f.type) {
    case FT.None:
      return '1'; // tshark prints presence-only fields (tcp.analysis.flags) as 1
    case FT.UInt:
    case FT.Int:
      return String(f.num!(d, i));
    case FT.Hex: {
      const v = f.num!(d, i);
      return '0x' + v.toString(16).padStart(style === 'display' ? displayHexDigits(f) : typeHexDigits(f), '0');
    }
    case FT.Bool:
      return f.num!(d, i) ? '1' : '0';
    case FT.Double:
      return String(f.num!(d, i));
    case FT.AbsTime:
    case FT.RelTime: {
      const v = f.num!(d, i);
      return v.toFixed(9);
    }
    case FT.IPv4:
      return ipv4ToString(f.num!(d, i));
    case FT.IPv6:
      return f.bytes!(d, i, span) ? ipv6At(span.buf, span.off) : '';
    case FT.Ether:
      return f.bytes!(d, i, span) ? macAt(span.buf, span.off) : '';
    case FT.Bytes:
      // An occurrence of no bytes (an extension without data) is there all the same: -T fields says so.
      if (!f.bytes!(d, i, span)) return '';
      return span.len === 0 && style === 'fields' ? MISSING_BYTES : hexOf(span.buf, span.off, span.len, style === 'json' ? ':' : '');
    case FT.String:
      return f.bytes!(d, i, span) ? span.buf.toString('utf8', span.off, span.off + span.len) : '';
  }
}
