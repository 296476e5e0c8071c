// ICMPv6 (RFC 4443) on the wire, with Neighbor Discovery (RFC 4861), Node Information (RFC 4620)
// and MLD (RFC 2710, RFC 3810): message types, code names and the ND option walk.

export const TYPE = 0;
export const CODE = 1;
export const CHECKSUM = 2;
/** Type, code and checksum; the rest depends on the type. */
export const MIN_LEN = 4;
export const HEADER_LEN = 8;

export const UNREACHABLE = 1;
export const PACKET_TOO_BIG = 2;
export const TIME_EXCEEDED = 3;
export const PARAMETER_PROBLEM = 4;
export const ECHO_REQUEST = 128;
export const ECHO_REPLY = 129;
export const MLD_QUERY = 130;
export const MLD_REPORT = 131;
export const MLD_DONE = 132;
export const ROUTER_SOLICITATION = 133;
export const ROUTER_ADVERTISEMENT = 134;
export const NEIGHBOR_SOLICITATION = 135;
export const NEIGHBOR_ADVERTISEMENT = 136;
export const REDIRECT = 137;
export const NI_QUERY = 139;
export const NI_REPLY = 140;
export const MLDV2_REPORT = 143;

/** RFC 4443 §2.1: types below 128 are errors; these four quote the packet that caused them. */
export function isError(type: number): boolean {
  return type >= UNREACHABLE && type <= PARAMETER_PROBLEM;
}

export const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem',
  100: 'Private experimentation', 101: 'Private experimentation', 127: 'Reserved for expansion of ICMPv6 error messages',
  128: 'Echo (ping) request', 129: 'Echo (ping) reply', 130: 'Multicast Listener Query', 131: 'Multicast Listener Report',
  132: 'Multicast Listener Done', 133: 'Router Solicitation', 134: 'Router Advertisement', 135: 'Neighbor Solicitation',
  136: 'Neighbor Advertisement', 137: 'Redirect', 138: 'Router Renumbering', 139: 'Node Information Query',
  140: 'Node Information Reply', 141: 'Inverse Neighbor Discovery Solicitation Message',
  142: 'Inverse Neighbor Discovery Advertisement Message', 143: 'Multicast Listener Report Message v2',
  144: 'Home Agent Address Discovery Request Message', 145: 'Home Agent Address Discovery Reply Message',
  146: 'Mobile Prefix Solicitation', 147: 'Mobile Prefix Advertisement', 148: 'Certification Path Solicitation Message',
  149: 'Certification Path Advertisement Message', 150: 'Experimental Mobility Protocols',
  151: 'Multicast Router Advertisement', 152: 'Multicast Router Solicitation', 153: 'Multicast Router Termination',
  154: 'FMIPv6 Messages', 155: 'RPL Control Message', 156: 'ILNPv6 Locator Update Message',
  157: 'Duplicate Address Request', 158: 'Duplicate Address Confirmation', 159: 'MPL Control Message',
  160: 'Extended Echo request', 161: 'Extended Echo reply',
  200: 'Private experimentation', 201: 'Private experimentation', 255: 'Reserved for expansion of ICMPv6 informational messages',
};

const CODES: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: {
    0: 'no route to destination', 1: 'Administratively prohibited', 2: 'Beyond scope of source address',
    3: 'Address unreachable', 4: 'Port unreachable', 5: 'Source address failed ingress/egress policy',
    6: 'Reject route to destination', 7: 'Error in Source Routing Header', 8: 'Headers too long',
  },
  3: { 0: 'hop limit exceeded in transit', 1: 'fragment reassembly time exceeded' },
  4: {
    0: 'erroneous header field encountered', 1: 'unrecognized Next Header type encountered',
    2: 'unrecognized IPv6 option encountered', 3: 'IPv6 First Fragment has incomplete IPv6 Header Chain',
  },
  138: { 0: 'Router Renumbering Command', 1: 'Router Renumbering Result', 255: 'Sequence Number Reset' },
  139: { 0: 'Query subject = IPv6 addresses', 1: 'Query subject = DNS name or empty', 2: 'Query subject = IPv4 addresses' },
  140: { 0: 'Successful', 1: 'Refused', 2: 'Unknown query type' },
  160: { 0: 'No Error' },
  161: { 0: 'No Error', 1: 'Malformed Query', 2: 'No Such Interface', 3: 'No Such Table Entry', 4: 'Multiple Interfaces Satisfy Query' },
};

/** The code's text, or null for a type whose codes have none. */
export function codeText(type: number, code: number): string | null {
  const names = CODES[type];
  if (names === undefined) return null;
  return names[code] ?? 'Unknown';
}

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `Unknown (${type})`;
}

// ---- Neighbor Discovery options (RFC 4861 §4.6): type(1) length(1, in units of 8 bytes) ----
export const OPT_SOURCE_LINKADDR = 1;
export const OPT_TARGET_LINKADDR = 2;
export const OPT_PREFIX_INFO = 3;
export const OPT_REDIRECTED_HEADER = 4;
export const OPT_MTU = 5;
export const OPT_ADV_INTERVAL = 7;
export const OPT_HOME_AGENT_INFO = 8;
export const OPT_NONCE = 14; // RFC 3971
export const OPT_ROUTE_INFO = 24; // RFC 4191
export const OPT_RDNSS = 25; // RFC 8106
export const OPT_DNSSL = 31; // RFC 8106
export const OPT_PREF64 = 38; // RFC 8781

export const OPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'Source link-layer address', 2: 'Target link-layer address', 3: 'Prefix information', 4: 'Redirected header',
  5: 'MTU', 6: 'NBMA Shortcut Limit Option', 7: 'Advertisement Interval', 8: 'Home Agent Information',
  9: 'Source Address List', 10: 'Target Address List', 11: 'CGA', 12: 'RSA Signature', 13: 'Timestamp', 14: 'Nonce',
  15: 'Trust Anchor', 16: 'Certificate', 17: 'IP Address/Prefix Option', 18: 'New Router Prefix Information',
  19: 'Link-layer Address', 20: 'Neighbor Advertisement Acknowledgment', 23: 'MAP', 24: 'Route Information',
  25: 'Recursive DNS Server', 26: 'RA Flags Extension', 27: 'Handover Key Request', 28: 'Handover Key Reply',
  29: 'Handover Assist Information', 30: 'Mobile Node Identifier Option', 31: 'DNS Search List Option',
  32: 'Proxy Signature (PS)', 33: 'Address Registration Option', 34: '6LoWPAN Context Option',
  35: 'Authoritative Border Router', 36: '6CIO', 37: 'Captive-Portal', 38: 'PREF64 Option',
};

/** Where the ND options of a message of this type start (its fixed part's length), or -1 when it has none. */
export function optionsStart(type: number): number {
  switch (type) {
    case ROUTER_SOLICITATION: return 8;
    case ROUTER_ADVERTISEMENT: return 16;
    case NEIGHBOR_SOLICITATION: case NEIGHBOR_ADVERTISEMENT: return 24;
    case REDIRECT: return 40;
    default: return -1;
  }
}

/**
 * The ND options of the message buf[off, end), in order: calls `each(p, len)` for every whole
 * option and returns how many there were. The walk stops at an option of length 0 (RFC 4861 §4.6:
 * invalid, and a loop that would never advance) and at one that runs past the end.
 */
export function walkOptions(buf: Buffer, off: number, end: number, each: (p: number, len: number) => boolean | void): number {
  const start = optionsStart(buf[off + TYPE]);
  if (start < 0) return 0;
  let n = 0;
  for (let p = off + start; end - p >= 2;) {
    const len = buf[p + 1] * 8;
    if (len === 0 || len > end - p) break;
    n++;
    if (each(p, len) === true) break;
    p += len;
  }
  return n;
}
