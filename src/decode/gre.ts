// GRE (RFC 2784, with the key and sequence extensions of RFC 2890): follow the carried protocol.

import { u16 } from './bytes';
import { Dissection, Malformed, Proto } from './dissection';
import { etherTypeNext } from './link';

const GRE_FLAG_CHECKSUM = 0x8000;
const GRE_FLAG_ROUTING = 0x4000;
const GRE_FLAG_KEY = 0x2000;
const GRE_FLAG_SEQ = 0x1000;
const GRE_BASE_LEN = 4;

export function decodeGre(d: Dissection, off: number, end: number): Proto {
  if (end - off < GRE_BASE_LEN) {
    d.markMalformed(Malformed.Transport, Proto.Gre);
    return Proto.None;
  }
  const flags = u16(d.buf, off);
  const version = flags & 7;
  let len = GRE_BASE_LEN;
  if (flags & (GRE_FLAG_CHECKSUM | GRE_FLAG_ROUTING)) len += 4;
  if (flags & GRE_FLAG_KEY) len += 4;
  if (flags & GRE_FLAG_SEQ) len += 4;
  // Version 1 is PPTP's enhanced GRE (RFC 2637) with an optional acknowledgement number.
  if (version === 1 && (flags & 0x0080)) len += 4;
  if (len > end - off || (flags & GRE_FLAG_ROUTING)) {
    d.markMalformed(Malformed.Transport, Proto.Gre);
    return Proto.None;
  }
  d.pushLayer(Proto.Gre, off);
  d.nextOff = off + len;
  return version === 0 ? etherTypeNext(u16(d.buf, off + 2)) : Proto.None;
}
