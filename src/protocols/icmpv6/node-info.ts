// Node Information messages (RFC 4620 §4) on the wire: the fixed part, a query's subject and a
// reply's data by Qtype, and the one walk of a message's names, made when the frame is decoded.
// What Wireshark cannot read to the end (a subject or an entry cut short, a name running past the
// message) marks the frame malformed, as its dissector's exception does.

import { walkName } from '../dns/wire';
import { MAX_NI_NAMES, type Icmpv6Layer } from './layer';
import { CODE, NI_QUERY, NI_REPLY, TYPE } from './wire';

export const NI_QTYPE = 4;
export const NI_FLAGS = 6;
export const NI_NONCE = 8;
/** Where a query's subject or a reply's data starts, after the nonce. */
export const NI_DATA = 16;

export const SUBJECT_IPV6 = 0;
export const SUBJECT_NAME = 1;
export const SUBJECT_IPV4 = 2;

export const QTYPE_NODE_NAME = 2;
export const QTYPE_NODE_ADDRESSES = 3;
export const QTYPE_IPV4_ADDRESSES = 4;

/** RFC 4620 §6.3: a name reply has one TTL and then names; an address reply, (TTL, address) pairs of 20 bytes for IPv6 and 8 for IPv4. */
export const NI_TTL_LEN = 4;
export const IPV6_ENTRY = 20;
export const IPV4_ENTRY = 8;

/**
 * Walks the names in DNS form of the Node Information message buf[off, end) (a query's subject
 * name, a reply's node names) into `layer.niNames` and `layer.niNameSpans`, and says whether
 * Wireshark reads the message to its end. Names are read as its get_dns_name reads them:
 * compression pointers count from the name's own first byte. Each name is bounded by walkName and
 * takes at least one byte, and at most MAX_NI_NAMES are kept, so the walk ends.
 */
export function walkNodeInformation(buf: Buffer, off: number, end: number, layer: Icmpv6Layer): boolean {
  layer.niNames = 0;
  if (end - off < NI_DATA) return false;
  const data = end - off - NI_DATA;
  if (data === 0) return true;
  const put = (start: number, after: number): void => {
    const n = layer.niNames++;
    layer.niNameSpans[2 * n] = start;
    layer.niNameSpans[2 * n + 1] = after;
  };
  if (buf[off + TYPE] === NI_QUERY) {
    switch (buf[off + CODE]) {
      case SUBJECT_IPV6: return data >= 16;
      case SUBJECT_IPV4: return data >= 4;
      case SUBJECT_NAME: {
        const after = walkName(buf, off + NI_DATA, end, off + NI_DATA);
        if (after < 0) return false;
        put(off + NI_DATA, after);
        return true;
      }
      default: return true;
    }
  }
  if (buf[off + TYPE] !== NI_REPLY) return true;
  switch (buf.readUInt16BE(off + NI_QTYPE)) {
    case QTYPE_NODE_NAME: {
      if (data < NI_TTL_LEN) return false;
      // A zero byte where a name would start is padding, and ends the names.
      for (let p = off + NI_DATA + NI_TTL_LEN; p < end && buf[p] !== 0 && layer.niNames < MAX_NI_NAMES;) {
        const after = walkName(buf, p, end, p);
        if (after < 0) return false;
        put(p, after);
        p = after;
      }
      return true;
    }
    case QTYPE_NODE_ADDRESSES: return data % IPV6_ENTRY === 0;
    case QTYPE_IPV4_ADDRESSES: return data % IPV4_ENTRY === 0;
    default: return true;
  }
}
