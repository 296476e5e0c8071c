// NetBIOS Session Service (RFC 1002 §4.3) on tcp.port 139, and the same framing of direct SMB on
// 445, as tshark 4.0 reads a segment (packet-nbns.c, dissect_nbss): a segment that does not start
// with a believable session packet header — fewer than 4 bytes, flags other than Extend, an unknown
// type, a length its type cannot have — is "NBSS Continuation Message", its bytes Continuation
// data; else the Info column names the first packet's type and the tree shows its header. The SMB
// a session message carries is not dissected (it is left as data), nor are session packets that
// span segments reassembled yet.

import { Dissection, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { leaveToData } from '../data';
import { walkName } from '../dns/wire';
import { netbiosNameAt, nameTypeDescription } from '../nbns/names';

/** RFC 1002 §4.3: the session service's port; 445 is SMB over TCP with the same 4-byte header (MS-SMB2 §2.1). */
export const NBSS_PORT = 139;
export const CIFS_PORT = 445;
// RFC 1002 §4.3.1 session packet header
const TYPE = 0;
const FLAGS = 1;
const LENGTH = 2;
const HEADER_LEN = 4;
/** RFC 1002 §4.3.1: the Extend bit adds 65536 to the length; the other flags must be zero. */
const FLAG_EXTEND = 0x01;

const SESSION_MESSAGE = 0x00;
const SESSION_REQUEST = 0x81;
const POSITIVE_RESPONSE = 0x82;
const NEGATIVE_RESPONSE = 0x83;
const RETARGET_RESPONSE = 0x84;
const KEEP_ALIVE = 0x85;
const MESSAGE_TYPES: Readonly<Record<number, string>> = {
  [SESSION_MESSAGE]: 'Session message', [SESSION_REQUEST]: 'Session request', [POSITIVE_RESPONSE]: 'Positive session response',
  [NEGATIVE_RESPONSE]: 'Negative session response', [RETARGET_RESPONSE]: 'Retarget session response', [KEEP_ALIVE]: 'Session keep-alive',
};
/** RFC 1002 §4.3.2: a session request holds two encoded names, 2 to 256 bytes in all as packet-nbns.c bounds them. */
const REQUEST_MIN = 2;
const REQUEST_MAX = 256;

class NbssLayer {
  off = 0;
  end = 0;
  continuation = false;
  /** Length of the first session packet's trailer, as its header gives it. */
  length = 0;
}

/** Whether the header at off is one packet-nbns.c believes: its flags, type and a length that type can have. */
function believable(buf: Buffer, off: number, cifs: boolean): [boolean, number] {
  const type = buf[off + TYPE];
  // Direct SMB (445) spends the flags byte on a 24-bit length (MS-SMB2 §2.1).
  const flags = cifs ? 0 : buf[off + FLAGS];
  const length = cifs ? buf.readUIntBE(off + FLAGS, 3) : buf.readUInt16BE(off + LENGTH) + ((flags & FLAG_EXTEND) !== 0 ? 0x10000 : 0);
  if ((flags & ~FLAG_EXTEND) !== 0) return [false, length];
  switch (type) {
    case SESSION_MESSAGE: return [length !== 0, length];
    case SESSION_REQUEST: return [length >= REQUEST_MIN && length <= REQUEST_MAX, length];
    case POSITIVE_RESPONSE: case KEEP_ALIVE: return [length === 0, length];
    case NEGATIVE_RESPONSE: return [length === 1, length];
    case RETARGET_RESPONSE: return [length === 6, length];
    default: return [false, length];
  }
}

export const nbss = registerProtocol({
  name: 'nbss',
  label: 'NBSS',
  tcpPorts: [NBSS_PORT, CIFS_PORT],
  makeLayer: () => new NbssLayer(),
  decode(d: Dissection, layer: NbssLayer, off: number, end: number, id: number): number {
    if (end <= off) return Proto.None;
    layer.off = off;
    layer.end = end;
    d.pushLayer(id, off);
    const cifs = d.srcPort === CIFS_PORT || d.dstPort === CIFS_PORT;
    const [ok, length] = end - off < HEADER_LEN ? [false, 0] : believable(d.buf, off, cifs);
    layer.continuation = !ok;
    layer.length = length;
    return Proto.None;
  },
  info: (d, layer) => {
    if (layer.continuation) return 'NBSS Continuation Message';
    const type = d.buf[layer.off + TYPE];
    if (type !== SESSION_REQUEST) return MESSAGE_TYPES[type];
    const [called, calling] = [requestName(d, 0), requestName(d, 1)];
    return `${MESSAGE_TYPES[type]}${called === null ? '' : `, to ${called.text} `}${calling === null ? '' : `from ${calling.text}`}`;
  },
});

/**
 * RFC 1002 §4.3.2: a session request's called name (k = 0) and calling name (k = 1), each read as
 * packet-nbns.c reads it, with compression pointers counted from the name itself; null when it is
 * not within the segment. `nameSpan` is left on the name's bytes.
 */
const nameSpan = { off: 0, len: 0 };
function requestName(d: Dissection, k: number): ReturnType<typeof netbiosNameAt> | null {
  const l = nbss.layer(d);
  let p = l.off + HEADER_LEN;
  for (let i = 0; ; i++) {
    const after = p < l.end ? walkName(d.buf, p, l.end, p) : -1;
    if (after < 0) return null;
    if (i === k) {
      nameSpan.off = p;
      nameSpan.len = after - p;
      return netbiosNameAt(d.buf, p, l.end, p);
    }
    p = after;
  }
}

// What a session message carries (SMB) goes to no dissector of tcpwatch's yet: tshark's data would not show it, ours does.
leaveToData(nbss.id, (d, out) => {
  const l = nbss.layer(d);
  if (l.continuation || d.buf[l.off + TYPE] !== SESSION_MESSAGE || l.end - l.off <= HEADER_LEN) return false;
  return out.set(d.buf, l.off + HEADER_LEN, Math.min(l.length, l.end - l.off - HEADER_LEN));
});

const at = (d: Dissection): number => nbss.layer(d).off;
const continuation = (d: Dissection): number => (d.hasLayer(nbss.id) && nbss.layer(d).continuation ? 1 : 0);
const header = (d: Dissection): number => (d.hasLayer(nbss.id) && !nbss.layer(d).continuation ? 1 : 0);
const cifsAt = (d: Dissection): boolean => d.srcPort === CIFS_PORT || d.dstPort === CIFS_PORT;
defineField({
  name: 'nbss', label: 'NetBIOS Session Service', type: FT.None, proto: 'nbss', count: (d) => (d.hasLayer(nbss.id) ? 1 : 0),
  range: (d, _i, o) => o.set(d.buf, at(d), nbss.layer(d).end - at(d)),
});
defineField({
  name: 'nbss.continuation_data', label: 'Continuation data', type: FT.Bytes, proto: 'nbss', count: continuation,
  bytes: (d, _i, o) => o.set(d.buf, at(d), nbss.layer(d).end - at(d)), range: (d, _i, o) => o.set(d.buf, at(d), nbss.layer(d).end - at(d)),
});
defineField({
  name: 'nbss.type', label: 'Message Type', type: FT.Hex, hexDigits: 2, valueBits: 8, proto: 'nbss', count: header, valueNames: MESSAGE_TYPES,
  num: (d) => d.buf[at(d) + TYPE], range: (d, _i, o) => o.set(d.buf, at(d) + TYPE, 1),
});
defineField({
  name: 'nbss.flags', label: 'Flags', type: FT.Hex, hexDigits: 2, valueBits: 8, proto: 'nbss', count: (d) => (header(d) && !cifsAt(d) ? 1 : 0),
  num: (d) => d.buf[at(d) + FLAGS], range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 1),
});
defineField({
  name: 'nbss.flags.e', label: 'Extend', type: FT.Bool, proto: 'nbss', count: (d) => (header(d) && !cifsAt(d) ? 1 : 0),
  parent: 'nbss.flags', mask: FLAG_EXTEND, bitWidth: 8, unit: (d) => d.buf[at(d) + FLAGS],
  display: (d) => ((d.buf[at(d) + FLAGS] & FLAG_EXTEND) !== 0 ? 'Add 65536 to length' : 'Add 0 to length'),
  num: (d) => d.buf[at(d) + FLAGS] & FLAG_EXTEND, range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 1),
});
defineField({
  name: 'nbss.length', label: 'Length', type: FT.UInt, valueBits: 24, proto: 'nbss', count: header, num: (d) => nbss.layer(d).length,
  range: (d, _i, o) => (cifsAt(d) ? o.set(d.buf, at(d) + FLAGS, 3) : o.set(d.buf, at(d) + LENGTH, 2)),
});

for (const [k, name, label] of [[0, 'nbss.called_name', 'Called name'], [1, 'nbss.calling_name', 'Calling name']] as const) {
  const present = (d: Dissection): number =>
    (header(d) && d.buf[at(d) + TYPE] === SESSION_REQUEST && requestName(d, k) !== null ? 1 : 0);
  defineField({
    name, label, type: FT.String, proto: 'nbss', count: present,
    text: (d) => requestName(d, k)!.text,
    display: (d) => { const n = requestName(d, k)!; return n.type < 0 ? n.text : `${n.text} (${nameTypeDescription(n.type)})`; },
    range: (d, _i, o) => { requestName(d, k); return o.set(d.buf, nameSpan.off, nameSpan.len); },
  });
}
