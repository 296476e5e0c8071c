// ICMP (RFC 792) on the wire: the fixed 8-byte header, the message types and the code names that
// Wireshark's Info column and tree use. What a message carries after its header depends on its type.

// RFC 792: type(1) code(1) checksum(2), then 4 bytes whose meaning depends on the type.
export const TYPE = 0;
export const CODE = 1;
export const CHECKSUM = 2;
export const IDENT = 4;
export const SEQ = 6;
export const HEADER_LEN = 8;
/** What a message needs to have a type, a code and a checksum. */
export const MIN_LEN = 4;

export const ECHO_REPLY = 0;
export const UNREACHABLE = 3;
export const SOURCE_QUENCH = 4;
export const REDIRECT = 5;
export const ECHO_REQUEST = 8;
export const ROUTER_ADVERTISEMENT = 9;
export const TIME_EXCEEDED = 11;
export const PARAMETER_PROBLEM = 12;
export const TIMESTAMP_REQUEST = 13;
export const TIMESTAMP_REPLY = 14;
export const INFO_REQUEST = 15;
export const INFO_REPLY = 16;
export const MASK_REQUEST = 17;
export const MASK_REPLY = 18;
/** RFC 8335 PROBE. */
export const EXT_ECHO_REQUEST = 42;
export const EXT_ECHO_REPLY = 43;
/** Destination unreachable's code for "fragmentation needed and DF set" (RFC 1191 §4: the next hop's MTU follows). */
export const CODE_FRAG_NEEDED = 4;

/** The error messages that quote the datagram they concern (RFC 792). */
export function isError(type: number): boolean {
  return type === UNREACHABLE || type === SOURCE_QUENCH || type === REDIRECT || type === TIME_EXCEEDED || type === PARAMETER_PROBLEM;
}

/** The messages with an identifier and a sequence number in the second word (RFC 792, RFC 950). */
export function hasIdentSeq(type: number): boolean {
  return type === ECHO_REPLY || type === ECHO_REQUEST || (type >= TIMESTAMP_REQUEST && type <= MASK_REPLY);
}

export const TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'Echo (ping) reply', 1: 'Reserved', 2: 'Reserved', 3: 'Destination unreachable', 4: 'Source quench (flow control)',
  5: 'Redirect', 6: 'Alternate host address', 8: 'Echo (ping) request', 9: 'Router advertisement', 10: 'Router solicitation',
  11: 'Time-to-live exceeded', 12: 'Parameter problem', 13: 'Timestamp request', 14: 'Timestamp reply',
  15: 'Information request', 16: 'Information reply', 17: 'Address mask request', 18: 'Address mask reply',
  19: 'Reserved (for security)', 30: 'Traceroute', 31: 'Datagram Conversion Error', 32: 'Mobile Host Redirect',
  33: 'IPv6 Where-Are-You', 34: 'IPv6 I-Am-Here', 35: 'Mobile Registration Request', 36: 'Mobile Registration Reply',
  37: 'Domain Name Request', 38: 'Domain Name Reply', 39: 'SKIP', 40: 'Photuris',
  42: 'Extended Echo request', 43: 'Extended Echo reply',
};
export const UNKNOWN_TYPE = 'Unknown ICMP (obsolete or malformed?)';

const UNREACHABLE_CODES: Readonly<Record<number, string>> = {
  0: 'Network unreachable', 1: 'Host unreachable', 2: 'Protocol unreachable', 3: 'Port unreachable',
  4: 'Fragmentation needed', 5: 'Source route failed', 6: 'Destination network unknown', 7: 'Destination host unknown',
  8: 'Source host isolated', 9: 'Network administratively prohibited', 10: 'Host administratively prohibited',
  11: 'Network unreachable for TOS', 12: 'Host unreachable for TOS', 13: 'Communication administratively filtered',
  14: 'Host precedence violation', 15: 'Precedence cutoff in effect',
};
const REDIRECT_CODES: Readonly<Record<number, string>> = {
  0: 'Redirect for network', 1: 'Redirect for host', 2: 'Redirect for TOS and network', 3: 'Redirect for TOS and host',
};
const ALT_HOST_CODES: Readonly<Record<number, string>> = { 0: 'Alternate address for host' };
const ROUTER_ADVERTISEMENT_CODES: Readonly<Record<number, string>> = {
  0: 'Normal router advertisement', 16: 'Does not route common traffic',
};
const TIME_EXCEEDED_CODES: Readonly<Record<number, string>> = {
  0: 'Time to live exceeded in transit', 1: 'Fragment reassembly time exceeded',
};
const PARAMETER_CODES: Readonly<Record<number, string>> = {
  0: 'Pointer indicates the error', 1: 'Required option missing', 2: 'Bad length',
};
const PHOTURIS_CODES: Readonly<Record<number, string>> = {
  0: 'Bad SPI', 1: 'Authentication Failed', 2: 'Decompression Failed', 3: 'Decryption Failed', 4: 'Need Authentication',
  5: 'Need Authorization',
};
// RFC 8335 §2 and §3
const EXT_ECHO_REQUEST_CODES: Readonly<Record<number, string>> = { 0: 'No error' };
const EXT_ECHO_REPLY_CODES: Readonly<Record<number, string>> = {
  0: 'No error', 1: 'Malformed Query', 2: 'No Such Interface', 3: 'No Such Table Entry', 4: 'Multiple Interfaces Satisfy Query',
};

/** The code names of a type, or undefined when its codes have none (echo: Info and tree show no code text). */
export function codeNames(type: number): Readonly<Record<number, string>> | undefined {
  switch (type) {
    case UNREACHABLE: return UNREACHABLE_CODES;
    case REDIRECT: return REDIRECT_CODES;
    case 6: return ALT_HOST_CODES;
    case ROUTER_ADVERTISEMENT: return ROUTER_ADVERTISEMENT_CODES;
    case TIME_EXCEEDED: return TIME_EXCEEDED_CODES;
    case PARAMETER_PROBLEM: return PARAMETER_CODES;
    case 40: return PHOTURIS_CODES;
    case EXT_ECHO_REQUEST: return EXT_ECHO_REQUEST_CODES;
    case EXT_ECHO_REPLY: return EXT_ECHO_REPLY_CODES;
    default: return undefined;
  }
}

/** The code's text as Wireshark writes it, or null for types whose codes have none. */
export function codeText(type: number, code: number): string | null {
  const names = codeNames(type);
  if (names === undefined) return null;
  return names[code] ?? `Unknown code: ${code}`;
}

/** The Internet checksum (RFC 1071) of buf[off, end): 0 when the bytes hold a correct checksum. */
export function internetChecksum(buf: Buffer, off: number, end: number, initial = 0): number {
  let sum = initial;
  let p = off;
  for (; p + 1 < end; p += 2) sum += (buf[p] << 8) | buf[p + 1];
  if (p < end) sum += buf[p] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- multi-part extensions (RFC 4884 §7): version(4 bits) reserved(12) checksum(2), then objects
// of length(2) class(1) c-type(1) and their payload ----
export const EXT_HEADER_LEN = 4;
export const EXT_VERSION = 2;
export const OBJECT_HEADER_LEN = 4;
/** RFC 4884 §5: without a length attribute, an extension-aware sender pads the quote to 128 bytes. */
const COMPAT_QUOTE_LEN = 128;
const QUOTED_IP_TOTAL_LEN = 2;

/**
 * Where the extension structure of the message buf[off, end) starts, or -1: right after the header
 * of an extended echo request (RFC 8335 §2); after a 128-byte quote in an error whose quoted
 * datagram is no longer than that (RFC 4884 §5, as Wireshark decides it), when a version 2 header is there.
 */
export function extensionsAt(buf: Buffer, off: number, end: number): number {
  const type = buf[off + TYPE];
  let at = -1;
  if (type === EXT_ECHO_REQUEST) at = off + HEADER_LEN;
  else if (type === UNREACHABLE || type === TIME_EXCEEDED || type === PARAMETER_PROBLEM) {
    const quote = off + HEADER_LEN;
    if (end - quote > COMPAT_QUOTE_LEN && buf.readUInt16BE(quote + QUOTED_IP_TOTAL_LEN) <= COMPAT_QUOTE_LEN) at = quote + COMPAT_QUOTE_LEN;
  }
  if (at < 0 || end - at < EXT_HEADER_LEN || buf[at] >> 4 !== EXT_VERSION) return -1;
  return at;
}
