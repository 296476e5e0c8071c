// Reading literal values the way the field on the other side of a comparison needs them:
// integers in the notations wireshark-filter(4) lists, IPv4/IPv6 addresses with a CIDR prefix,
// byte strings with or without separators, times. Each returns null when the text is not of that
// kind, so the caller can say what was expected.

/** Decimal, 0x hex, 0b binary, leading-0 octal (as C and Wireshark read them). */
export function parseInteger(text: string): number | null {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[bB][01]+$/.test(text)) return parseInt(text.slice(2), 2);
  if (/^0[0-7]+$/.test(text)) return parseInt(text.slice(1), 8);
  if (/^(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  return null;
}

export function parseDecimal(text: string): number | null {
  const i = parseInteger(text);
  if (i !== null) return i;
  if (/^([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+)$/.test(text)) return Number(text);
  return null;
}

export interface Ipv4Literal {
  addr: number;
  /** Prefix length, 32 when there is no /n. */
  bits: number;
}

/** Dotted quad with an optional /prefix; throws RangeError when the prefix is out of range. */
export function parseIpv4(text: string): Ipv4Literal | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d+))?$/.exec(text);
  if (!m) return null;
  const parts = [m[1], m[2], m[3], m[4]].map(Number);
  if (parts.some((p) => p > 255)) return null;
  const bits = m[5] === undefined ? 32 : Number(m[5]);
  if (bits > 32) throw new RangeError(`netmask bits in a CIDR IPv4 address must be 32 or fewer, not ${bits}`);
  return { addr: ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0, bits };
}

export function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export interface Ipv6Literal {
  addr: Buffer;
  bits: number;
}

/** RFC 4291 §2.2 text forms, including `::` and a trailing dotted quad, with an optional /prefix. */
export function parseIpv6(text: string): Ipv6Literal | null {
  let bits = 128;
  let s = text;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const b = s.slice(slash + 1);
    if (!/^\d+$/.test(b)) return null;
    bits = Number(b);
    s = s.slice(0, slash);
    if (bits > 128) throw new RangeError(`prefix length of an IPv6 address must be 128 or fewer, not ${bits}`);
  }
  if (!s.includes(':')) return null;
  const groups: number[] = [];
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i];
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4 || v4.bits !== 32) return null;
        out.push(v4.addr >>> 16, v4.addr & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseGroups(s);
    if (!all || all.length !== 8) return null;
    groups.push(...all);
  }
  const addr = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) addr.writeUInt16BE(groups[i], i * 2);
  return { addr, bits };
}

/**
 * A byte string as Wireshark writes it: `aa:bb:cc`, `aa-bb-cc`, `aa.bb.cc`, `aabb.ccdd.eeff`,
 * `aabbcc`, or one byte `a`/`aa`. Groups between separators have an even number of digits.
 */
export function parseBytes(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{1,2}$/.test(text)) return Buffer.from([parseInt(text, 16)]);
  if (/^([0-9a-fA-F]{2})+$/.test(text)) return Buffer.from(text, 'hex');
  if (/^([0-9a-fA-F]{2})+([:.\-]([0-9a-fA-F]{2})+)+$/.test(text)) return Buffer.from(text.replace(/[:.\-]/g, ''), 'hex');
  return null;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Absolute time as seconds since the epoch: ISO 8601 (`2020-07-04T12:34:56.5Z`, the T may be a
 * space, zone Z/UTC/±hh:mm, local time without one) or Wireshark's legacy `Sep 26, 2004 23:18:04.954975`.
 */
export function parseAbsTime(text: string): number | null {
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i.exec(text.trim());
  let y: number, mo: number, da: number, h = 0, mi = 0, se = 0, frac = 0, zone: string | undefined;
  if (m) {
    [y, mo, da] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
    if (m[4] !== undefined) { h = Number(m[4]); mi = Number(m[5]); }
    if (m[6] !== undefined) se = Number(m[6]);
    if (m[7] !== undefined) frac = Number('0' + m[7]);
    zone = m[8];
  } else {
    m = /^([A-Za-z]{3})\s+(\d{1,2}),\s*(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(UTC)?$/.exec(text.trim());
    if (!m) return null;
    mo = MONTHS.indexOf(m[1].toLowerCase());
    if (mo < 0) return null;
    [da, y] = [Number(m[2]), Number(m[3])];
    if (m[4] !== undefined) { h = Number(m[4]); mi = Number(m[5]); }
    if (m[6] !== undefined) se = Number(m[6]);
    if (m[7] !== undefined) frac = Number('0' + m[7]);
    zone = m[8];
  }
  if (mo < 0 || mo > 11 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60) return null;
  let ms: number;
  if (zone === undefined) {
    ms = new Date(y, mo, da, h, mi, se).getTime();
  } else {
    ms = Date.UTC(y, mo, da, h, mi, se);
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (z) ms -= (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60000;
  }
  return Number.isNaN(ms) ? null : ms / 1000 + frac;
}
