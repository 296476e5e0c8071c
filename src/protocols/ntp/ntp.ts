// NTP (RFC 5905) on udp.port 123: the Info column tshark 4.0 writes (packet-ntp.c, "NTP Version N,
// <mode>"), the flags byte every NTP packet starts with, and the header of the time modes (1-5):
// stratum, poll, precision, root delay and dispersion, reference ID, the four timestamps, and the
// key ID and MAC of an authenticated packet. Control messages (mode 6) are control.ts; private (7)
// messages' bodies and RFC 7822 extension fields are not dissected yet.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { absoluteTimeText, ipv4At } from '../../fields/format';

/** IANA's port for NTP (RFC 5905 §9). */
export const NTP_PORT = 123;
// RFC 5905 §7.3: LI (2 bits), VN (3 bits), Mode (3 bits) in the first byte
const FLAGS = 0;
const LI_MASK = 0xc0;
const VN_MASK = 0x38;
const MODE_MASK = 0x07;

/** packet-ntp.c's mode names for the Info column. */
const MODE_INFO = ['reserved', 'symmetric active', 'symmetric passive', 'client', 'server', 'broadcast', 'control', 'private'];
/** packet-ntp.c's names of the flags' parts in the tree. */
const LEAP_NAMES: Readonly<Record<number, string>> = {
  0: 'no warning', 1: 'last minute of the day has 61 seconds', 2: 'last minute of the day has 59 seconds', 3: 'unknown (clock unsynchronized)',
};
const VERSION_NAMES: Readonly<Record<number, string>> = {
  0: 'reserved', 1: 'NTP Version 1', 2: 'NTP Version 2', 3: 'NTP Version 3', 4: 'NTP Version 4', 5: 'reserved', 6: 'reserved', 7: 'reserved',
};
export { LEAP_NAMES };
const MODE_NAMES: Readonly<Record<number, string>> = {
  0: 'reserved', 1: 'symmetric active', 2: 'symmetric passive', 3: 'client', 4: 'server', 5: 'broadcast',
  6: 'reserved for NTP control message', 7: 'reserved for private use',
};
export const MODE_CONTROL = 6;
export { MODE_MASK };
// RFC 5905 §7.3 header of the time modes
const STRATUM = 1;
const POLL = 2;
const PRECISION = 3;
const ROOT_DELAY = 4;
const ROOT_DISPERSION = 8;
const REFERENCE_ID = 12;
const REFERENCE_TIME = 16;
const ORIGIN_TIME = 24;
const RECEIVE_TIME = 32;
const TRANSMIT_TIME = 40;
const HEADER_LEN = 48;
/** RFC 5905 §7.3: a key identifier of 4 bytes, then the message digest. */
const KEY_ID_LEN = 4;
/** packet-ntp.c reads extension fields while more than this many bytes (key ID and a SHA-1 MAC) follow the header. */
const MAX_MAC_LEN = 24;
/** Seconds from 1900 (NTP's era 0) to 1970. */
const NTP_TO_UNIX = 2208988800;
/** RFC 5905 §7.3: the poll exponent's range; packet-ntp.c calls others invalid. */
const POLL_MIN = 4;
const POLL_MAX = 17;
/**
 * RFC 5905 §7.3 reference identifiers of stratum 0 and 1 (four ASCII bytes, NUL-padded), with the
 * names packet-ntp.c gives them.
 */
const PRIMARY_SOURCES: Readonly<Record<string, string>> = {
  GOES: 'Geostationary Orbit Environment Satellite', 'GPS\0': 'Global Position System', 'GAL\0': 'Galileo Positioning System',
  'PPS\0': 'Generic pulse-per-second', IRIG: 'Inter-Range Instrumentation Group', WWVB: 'LF Radio WWVB Ft. Collins, CO 60 kHz',
  'DCF\0': 'LF Radio DCF77 Mainflingen, DE 77.5 kHz', 'HBG\0': 'LF Radio HBG Prangins, HB 75 kHz', 'MSF\0': 'LF Radio MSF Anthorn, UK 60 kHz',
  'JJY\0': 'LF Radio JJY Fukushima, JP 40 kHz, Saga, JP 60 kHz', LORC: 'MF Radio LORAN C station, 100 kHz',
  'TDF\0': 'MF Radio Allouis, FR 162 kHz', 'CHU\0': 'HF Radio CHU Ottawa, Ontario', 'WWV\0': 'HF Radio WWV Ft. Collins, CO',
  WWVH: 'HF Radio WWVH Kauai, HI', NIST: 'NIST telephone modem', ACTS: 'NIST telephone modem', USNO: 'USNO telephone modem',
  'PTB\0': 'European telephone modem', LOCL: 'uncalibrated local clock', CESM: 'calibrated Cesium clock', RBDM: 'calibrated Rubidium clock',
  OMEG: 'OMEGA radionavigation system', 'DCN\0': 'DCN routing protocol', 'TSP\0': 'TSP time protocol', 'DTS\0': 'Digital Time Service',
  ATOM: 'Atomic clock (calibrated)', 'VLF\0': 'VLF radio (OMEGA,, etc.)', '1PPS': 'External 1 PPS input', FREE: '(Internal clock)',
  INIT: '(Initialization)', '\0\0\0\0': 'NULL',
};

/** Counts NTP layers decoded, so that what a view works out from one (control.ts) is known for which. */
let decoded = 0;

class NtpLayer {
  off = 0;
  len = 0;
  /** Which decoded NTP layer this is, in the whole run. */
  serial = 0;
}

/** RFC 1305 Appendix B: a control message's 12-byte header, then Count bytes of data. */
export const CONTROL_HEADER_LEN = 12;
const CONTROL_COUNT = 10;

export const ntp = registerProtocol({
  name: 'ntp',
  label: 'NTP',
  udpPorts: [NTP_PORT],
  makeLayer: () => new NtpLayer(),
  decode(d: Dissection, layer: NtpLayer, off: number, end: number, id: number): number {
    if (end <= off) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    layer.off = off;
    layer.len = end - off;
    layer.serial = ++decoded;
    d.pushLayer(id, off);
    // tshark stops with an exception where a control message's header or data runs past the datagram
    if ((d.buf[off + FLAGS] & MODE_MASK) === MODE_CONTROL &&
        (end - off < CONTROL_HEADER_LEN || d.buf.readUInt16BE(off + CONTROL_COUNT) > end - off - CONTROL_HEADER_LEN)) {
      d.markMalformed(Malformed.Application, id);
    }
    return Proto.None;
  },
  info: (d, layer) => summaryText(d.buf[layer.off + FLAGS]),
});

/** "NTP Version 4, client": the Info column, and the protocol's heading in parentheses. */
const summaryText = (flags: number): string => `${VERSION_NAMES[(flags & VN_MASK) >> 3]}, ${MODE_INFO[flags & MODE_MASK]}`;

export const present = (d: Dissection): number => (d.hasLayer(ntp.id) ? 1 : 0);
export const at = (d: Dissection): number => ntp.layer(d).off;
export const flagsByte = (d: Dissection): number => d.buf[at(d) + FLAGS];
defineField({
  name: 'ntp', label: 'Network Time Protocol', type: FT.None, proto: 'ntp', count: present,
  // a read-status response lists its peers' status words after the Data they are in, as tshark adds them
  orderByBytes: true,
  text: (d) => `Network Time Protocol (${summaryText(flagsByte(d))})`,
  range: (d, _i, o) => o.set(d.buf, at(d), ntp.layer(d).len),
});
defineField({
  name: 'ntp.flags', valueBits: 8, label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'ntp', count: present,
  display: (d) => {
    const f = flagsByte(d);
    return `0x${f.toString(16).padStart(2, '0')}, Leap Indicator: ${LEAP_NAMES[(f & LI_MASK) >> 6]}, ` +
      `Version number: ${VERSION_NAMES[(f & VN_MASK) >> 3]}, Mode: ${MODE_NAMES[f & MODE_MASK]}`;
  },
  num: flagsByte, range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 1),
});
for (const [name, label, mask, names] of [
  ['ntp.flags.li', 'Leap Indicator', LI_MASK, LEAP_NAMES], ['ntp.flags.vn', 'Version number', VN_MASK, VERSION_NAMES],
  ['ntp.flags.mode', 'Mode', MODE_MASK, MODE_NAMES],
] as const) {
  const shift = mask === LI_MASK ? 6 : mask === VN_MASK ? 3 : 0;
  defineField({
    name, label, valueBits: 8, type: FT.UInt, proto: 'ntp', count: present, parent: 'ntp.flags', mask, bitWidth: 8, unit: flagsByte,
    valueNames: names, num: (d) => (flagsByte(d) & mask) >> shift, range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 1),
  });
}

// ---- the header of the time modes (1-5) ----

/** A time-mode packet with its whole 48-byte header (a shorter one is left at its flags). */
const timeHeader = (d: Dissection): number =>
  (d.hasLayer(ntp.id) && (flagsByte(d) & MODE_MASK) < MODE_CONTROL && ntp.layer(d).len >= HEADER_LEN ? 1 : 0);
const u8 = (d: Dissection, off: number): number => d.buf[at(d) + off];
const u32 = (d: Dissection, off: number): number => d.buf.readUInt32BE(at(d) + off);

function stratumText(s: number): string {
  if (s === 0) return 'unspecified or invalid';
  if (s === 1) return 'primary reference';
  if (s <= 15) return 'secondary reference';
  return s === 16 ? 'unsynchronized' : 'reserved';
}
defineField({
  name: 'ntp.stratum', label: 'Peer Clock Stratum', type: FT.UInt, valueBits: 8, proto: 'ntp', count: timeHeader,
  num: (d) => u8(d, STRATUM), display: (d) => `${stratumText(u8(d, STRATUM))} (${u8(d, STRATUM)})`,
  range: (d, _i, o) => o.set(d.buf, at(d) + STRATUM, 1),
});
defineField({
  name: 'ntp.ppoll', label: 'Peer Polling Interval', type: FT.UInt, valueBits: 8, proto: 'ntp', count: timeHeader, num: (d) => u8(d, POLL),
  // log2 seconds (RFC 5905 §7.3)
  display: (d) => {
    const p = u8(d, POLL);
    return p >= POLL_MIN && p <= POLL_MAX ? `${p} (${2 ** p} seconds)` : `invalid (${p})`;
  },
  range: (d, _i, o) => o.set(d.buf, at(d) + POLL, 1),
});
defineField({
  name: 'ntp.precision', label: 'Peer Clock Precision', type: FT.UInt, valueBits: 8, proto: 'ntp', count: timeHeader, num: (d) => u8(d, PRECISION),
  // a signed log2 seconds, in the byte tshark keeps unsigned
  display: (d) => `${(2 ** d.buf.readInt8(at(d) + PRECISION)).toFixed(6)} seconds`,
  range: (d, _i, o) => o.set(d.buf, at(d) + PRECISION, 1),
});
for (const [name, label, off] of [['ntp.rootdelay', 'Root Delay', ROOT_DELAY], ['ntp.rootdispersion', 'Root Dispersion', ROOT_DISPERSION]] as const) {
  defineField({
    name, label, type: FT.UInt, valueBits: 32, proto: 'ntp', count: timeHeader, num: (d) => u32(d, off),
    // RFC 5905 §6: the short format, 16 bits of seconds and 16 of fraction
    display: (d) => `${(u32(d, off) / 65536).toFixed(6)} seconds`, range: (d, _i, o) => o.set(d.buf, at(d) + off, 4),
  });
}
/** The reference ID as packet-ntp.c names it: a primary source's code at stratum 0 and 1, else the server's IPv4 address. */
function referenceText(d: Dissection): string {
  const p = at(d) + REFERENCE_ID;
  if (u8(d, STRATUM) <= 1) {
    const code = d.buf.toString('latin1', p, p + 4);
    return PRIMARY_SOURCES[code] ?? `Unidentified reference source '${code.replace(/\0.*$/s, '')}'`;
  }
  return ipv4At(d.buf, p);
}
defineField({
  name: 'ntp.refid', label: 'Reference ID', type: FT.Bytes, proto: 'ntp', count: timeHeader, display: referenceText,
  bytes: (d, _i, o) => o.set(d.buf, at(d) + REFERENCE_ID, 4), range: (d, _i, o) => o.set(d.buf, at(d) + REFERENCE_ID, 4),
});
/**
 * An NTP timestamp (RFC 5905 §6) as tshark writes it: NULL when zero, else the UTC time, seconds
 * counted from 1900 modulo 2^32 (so that a clear top bit reads as era 1, from 2036, RFC 4330 §3).
 */
function timestampText(d: Dissection, off: number): string {
  const secs = u32(d, off), frac = u32(d, off + 4);
  if (secs === 0 && frac === 0) return 'NULL';
  const unix = (secs - NTP_TO_UNIX + 2 ** 32) % 2 ** 32;
  return absoluteTimeText(unix, Math.trunc(frac / 4.294967296));
}
for (const [name, label, off] of [
  ['ntp.reftime', 'Reference Timestamp', REFERENCE_TIME], ['ntp.org', 'Origin Timestamp', ORIGIN_TIME],
  ['ntp.rec', 'Receive Timestamp', RECEIVE_TIME], ['ntp.xmt', 'Transmit Timestamp', TRANSMIT_TIME],
] as const) {
  defineField({
    name, label, type: FT.String, ftype: 'FT_ABSOLUTE_TIME', proto: 'ntp', count: timeHeader, text: (d) => timestampText(d, off),
    range: (d, _i, o) => o.set(d.buf, at(d) + off, 8),
  });
}
/** RFC 5905 §7.3: after the header (and any extension fields, which take more than MAX_MAC_LEN bytes), the key ID and the MAC. */
const trailer = (d: Dissection): number => (timeHeader(d) ? ntp.layer(d).len - HEADER_LEN : 0);
const authenticated = (d: Dissection): boolean => trailer(d) >= KEY_ID_LEN && trailer(d) <= MAX_MAC_LEN;
defineField({
  name: 'ntp.keyid', label: 'Key ID', type: FT.Bytes, proto: 'ntp', count: (d) => (authenticated(d) ? 1 : 0),
  bytes: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN, KEY_ID_LEN), range: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN, KEY_ID_LEN),
});
defineField({
  name: 'ntp.mac', label: 'Message Authentication Code', type: FT.Bytes, proto: 'ntp', count: (d) => (authenticated(d) && trailer(d) > KEY_ID_LEN ? 1 : 0),
  bytes: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN + KEY_ID_LEN, trailer(d) - KEY_ID_LEN),
  range: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN + KEY_ID_LEN, trailer(d) - KEY_ID_LEN),
});

