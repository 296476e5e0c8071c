// NetBIOS Session Service (RFC 1002 §4.3) on tcp.port 139, and the same framing of direct SMB on
// 445, framed over TCP as tshark 4.0 frames it (packet-nbns.c, dissect_nbss): where the bytes TCP
// hands on start (a segment's new bytes, a reassembled packet, what follows one), a header that is
// not believable — fewer than 4 bytes, flags other than Extend, an unknown type, a length its type
// cannot have — makes the rest "NBSS Continuation Message", its bytes Continuation data. Else the
// bytes are session packets one after another, each its 4-byte header and the length it gives; a
// packet that runs past the segment is collected from the segments that follow, and the frames
// that only carry pieces read "Session message [TCP segment of a reassembled PDU]" (the first,
// where NBSS had written the type) or TCP's Info with the mark. The SMB2 a session message carries
// goes to src/protocols/smb2/ (the Info column is then SMB2's, the last message's); SMB1 and any
// other payload is left as data.

import { Dissection } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT, Span } from '../../fields/registry';
import { leaveToData } from '../data';
import { walkName } from '../dns/wire';
import { netbiosNameAt, nameTypeDescription } from '../nbns/names';
import { carriesSmb2, dissectSmb2, Smb2Conversation } from '../smb2';

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
/** Session packets a frame's fields list at most (a segment of keep-alives holds 16384); the rest are framed, not listed. */
const MAX_PACKETS = 256;

/** What NBSS keeps per TCP conversation: how its headers read, and what the SMB2 it carries remembers. */
class NbssConversation {
  /** The next PDU pduLength sized is a continuation (dissect follows it at once). */
  continuation = false;
  readonly smb2 = new Smb2Conversation();
  constructor(readonly cifs: boolean) {}
}

/**
 * Whether the conversation is direct SMB: the port tshark's TCP matched NBSS on is 445 (the lower
 * port first, as Wireshark tries them).
 */
function isCifs(src: number, dst: number): boolean {
  const low = Math.min(src, dst), high = Math.max(src, dst);
  return (low === NBSS_PORT || low === CIFS_PORT ? low : high) === CIFS_PORT;
}

/** The length of the session packet's trailer, as its header at off gives it (4 bytes there). */
function trailerLength(buf: Buffer, off: number, cifs: boolean): number {
  // Direct SMB (445) spends the flags byte on a 24-bit length (MS-SMB2 §2.1).
  if (cifs) return buf.readUIntBE(off + FLAGS, 3);
  return buf.readUInt16BE(off + LENGTH) + ((buf[off + FLAGS] & FLAG_EXTEND) !== 0 ? 0x10000 : 0);
}

/** Whether the header at off is one packet-nbns.c believes: its flags, type and a length that type can have. */
function believable(buf: Buffer, off: number, end: number, cifs: boolean): boolean {
  if (end - off < HEADER_LEN) return false;
  if (!cifs && (buf[off + FLAGS] & ~FLAG_EXTEND) !== 0) return false;
  const length = trailerLength(buf, off, cifs);
  switch (buf[off + TYPE]) {
    case SESSION_MESSAGE: return length !== 0;
    case SESSION_REQUEST: return length >= REQUEST_MIN && length <= REQUEST_MAX;
    case POSITIVE_RESPONSE: case KEEP_ALIVE: return length === 0;
    case NEGATIVE_RESPONSE: return length === 1;
    case RETARGET_RESPONSE: return length === 6;
    default: return false;
  }
}

/** The frame's session packets: each one's buffer (the frame's or a reassembly's, valid until the next frame) and bytes. */
class NbssLayer {
  frame = -1;
  cifs = false;
  count = 0;
  readonly bufs: Buffer[] = [];
  readonly off = new Int32Array(MAX_PACKETS);
  readonly end = new Int32Array(MAX_PACKETS);
  /** Packet k is a continuation (always the frame's last). */
  readonly continuation = new Uint8Array(MAX_PACKETS);
  /** Packet k's session message carries SMB2. */
  readonly smb2 = new Uint8Array(MAX_PACKETS);
}

export const nbss = registerProtocol({
  name: 'nbss',
  label: 'NBSS',
  tcpPorts: [NBSS_PORT, CIFS_PORT],
  makeLayer: () => new NbssLayer(),
  // Framed over TCP: the framing calls tcpPdu.dissect, never this per-segment step.
  decode: () => 0,
  tcpPdu: {
    pduLength(buf: Buffer, off: number, end: number, state: unknown, atStart: boolean): number {
      const c = state as NbssConversation;
      if (atStart && !believable(buf, off, end, c.cifs)) {
        c.continuation = true;
        return end - off;
      }
      if (end - off < HEADER_LEN) return -HEADER_LEN;
      return HEADER_LEN + trailerLength(buf, off, c.cifs);
    },
    newConversation: (src = 0, dst = 0) => new NbssConversation(isCifs(src, dst)),
    // NBSS names the first packet's type before it asks TCP for the rest of it.
    headline: (buf: Buffer, off: number) => MESSAGE_TYPES[buf[off + TYPE]] ?? null,
    dissect(d: Dissection, layer: NbssLayer, buf: Buffer, off: number, end: number, reassembled: boolean, id: number, state: unknown): void {
      const c = state as NbssConversation;
      const continuation = c.continuation;
      c.continuation = false;
      if (layer.frame !== d.number) {
        layer.frame = d.number;
        layer.count = 0;
        layer.cifs = c.cifs;
        d.pushLayer(id, reassembled ? d.payloadOff : off);
      }
      if (layer.count >= MAX_PACKETS) return;
      const k = layer.count++;
      layer.bufs[k] = buf;
      layer.off[k] = off;
      layer.end[k] = end;
      layer.continuation[k] = continuation ? 1 : 0;
      layer.smb2[k] = 0;
      if (continuation || buf[off + TYPE] !== SESSION_MESSAGE || !carriesSmb2(buf, off + HEADER_LEN, end)) return;
      layer.smb2[k] = 1;
      dissectSmb2(d, buf, off + HEADER_LEN, end, reassembled ? d.payloadOff : off + HEADER_LEN, c.smb2);
    },
  },
  info: (d, layer) => {
    if (layer.frame !== d.number || layer.count === 0) return null;
    if (layer.continuation[0] !== 0) return 'NBSS Continuation Message';
    // NBSS writes the first packet's type; each session request adds its names.
    let s = MESSAGE_TYPES[layer.bufs[0][layer.off[0] + TYPE]];
    for (let k = 0; k < layer.count; k++) {
      if (layer.continuation[k] !== 0 || layer.bufs[k][layer.off[k] + TYPE] !== SESSION_REQUEST) continue;
      const [called, calling] = [requestName(layer, k, 0), requestName(layer, k, 1)];
      s += `${called === null ? '' : `, to ${called.text} `}${calling === null ? '' : `from ${calling.text}`}`;
    }
    return s;
  },
});

/**
 * RFC 1002 §4.3.2: the called name (n = 0) and calling name (n = 1) of session request k, each read
 * as packet-nbns.c reads it, with compression pointers counted from the name itself; null when it
 * is not within the packet. `nameSpan` is left on the name's bytes.
 */
const nameSpan = { off: 0, len: 0 };
function requestName(l: NbssLayer, k: number, n: number): ReturnType<typeof netbiosNameAt> | null {
  const buf = l.bufs[k];
  const end = l.end[k];
  let p = l.off[k] + HEADER_LEN;
  for (let i = 0; ; i++) {
    const after = p < end ? walkName(buf, p, end, p) : -1;
    if (after < 0) return null;
    if (i === n) {
      nameSpan.off = p;
      nameSpan.len = after - p;
      return netbiosNameAt(buf, p, end, p);
    }
    p = after;
  }
}

// A session message that carries no SMB2 (SMB1, or anything else) is left as data, as tshark's data
// dissector takes what its heuristics do not claim.
leaveToData(nbss.id, (d, out) => {
  const l = layerOf(d);
  if (l === null) return false;
  for (let k = 0; k < l.count; k++) {
    const off = l.off[k];
    if (l.continuation[k] !== 0 || l.smb2[k] !== 0 || l.bufs[k][off + TYPE] !== SESSION_MESSAGE || l.end[k] - off <= HEADER_LEN) continue;
    return out.set(l.bufs[k], off + HEADER_LEN, l.end[k] - off - HEADER_LEN);
  }
  return false;
});

function layerOf(d: Dissection): NbssLayer | null {
  if (!d.hasLayer(nbss.id)) return null;
  const l = nbss.layer(d);
  return l.frame === d.number ? l : null;
}
/** Header packets come first; a continuation, when there is one, is the last packet. */
const headers = (d: Dissection): number => {
  const l = layerOf(d);
  return l === null ? 0 : l.count - (l.count > 0 && l.continuation[l.count - 1] !== 0 ? 1 : 0);
};
const bufOf = (d: Dissection, k: number): Buffer => nbss.layer(d).bufs[k];
const at = (d: Dissection, k: number): number => nbss.layer(d).off[k];
const cifsAt = (d: Dissection): boolean => nbss.layer(d).cifs;

defineField({
  name: 'nbss', label: 'NetBIOS Session Service', type: FT.None, proto: 'nbss', count: (d) => (layerOf(d) === null ? 0 : layerOf(d)!.count),
  range: (d, i, o) => o.set(bufOf(d, i), at(d, i), nbss.layer(d).smb2[i] !== 0 ? HEADER_LEN : nbss.layer(d).end[i] - at(d, i)),
});
defineField({
  name: 'nbss.continuation_data', label: 'Continuation data', type: FT.Bytes, proto: 'nbss',
  count: (d) => (layerOf(d) !== null && headers(d) < nbss.layer(d).count ? 1 : 0),
  bytes: (d, _i, o) => { const l = nbss.layer(d), k = l.count - 1; return o.set(l.bufs[k], l.off[k], l.end[k] - l.off[k]); },
  range: (d, _i, o) => { const l = nbss.layer(d), k = l.count - 1; return o.set(l.bufs[k], l.off[k], l.end[k] - l.off[k]); },
});
defineField({
  name: 'nbss.type', label: 'Message Type', type: FT.Hex, hexDigits: 2, valueBits: 8, proto: 'nbss', count: headers, valueNames: MESSAGE_TYPES,
  num: (d, i) => bufOf(d, i)[at(d, i) + TYPE], range: (d, i, o) => o.set(bufOf(d, i), at(d, i) + TYPE, 1),
});
/**
 * Header packets whose flags byte tshark shows: none on 445, and on 139 all but session messages,
 * whose length it reads as 24 bits as it does on 445.
 */
const flagsShown = (d: Dissection, k: number): boolean => !cifsAt(d) && bufOf(d, k)[at(d, k) + TYPE] !== SESSION_MESSAGE;
/** The header packet of occurrence i of the flags, -1 past the last. */
function flagsHolding(d: Dissection, i: number): number {
  for (let k = 0, n = headers(d); k < n; k++) if (flagsShown(d, k) && i-- === 0) return k;
  return -1;
}
const flagsCount = (d: Dissection): number => { let c = 0; for (let k = 0, n = headers(d); k < n; k++) if (flagsShown(d, k)) c++; return c; };
const flagsAt = (d: Dissection, i: number): number => { const k = flagsHolding(d, i); return bufOf(d, k)[at(d, k) + FLAGS]; };
const flagsRange = (d: Dissection, i: number, o: Span): boolean => { const k = flagsHolding(d, i); return o.set(bufOf(d, k), at(d, k) + FLAGS, 1); };
defineField({
  name: 'nbss.flags', label: 'Flags', type: FT.Hex, hexDigits: 2, valueBits: 8, proto: 'nbss', count: flagsCount, num: flagsAt, range: flagsRange,
});
defineField({
  name: 'nbss.flags.e', label: 'Extend', type: FT.Bool, proto: 'nbss', count: flagsCount,
  parent: 'nbss.flags', mask: FLAG_EXTEND, bitWidth: 8, unit: flagsAt,
  display: (d, i) => ((flagsAt(d, i) & FLAG_EXTEND) !== 0 ? 'Add 65536 to length' : 'Add 0 to length'),
  num: (d, i) => flagsAt(d, i) & FLAG_EXTEND, range: flagsRange,
});
defineField({
  name: 'nbss.length', label: 'Length', type: FT.UInt, valueBits: 24, proto: 'nbss', count: headers,
  num: (d, i) => trailerLength(bufOf(d, i), at(d, i), cifsAt(d)),
  range: (d, i, o) => (flagsShown(d, i) ? o.set(bufOf(d, i), at(d, i) + LENGTH, 2) : o.set(bufOf(d, i), at(d, i) + FLAGS, 3)),
});

/** The session request packet that holds occurrence i of name n (called 0, calling 1), -1 past the last. */
function requestHolding(d: Dissection, n: number, i: number): number {
  const l = layerOf(d);
  if (l === null) return -1;
  for (let k = 0; k < l.count; k++) {
    if (l.continuation[k] === 0 && l.bufs[k][l.off[k] + TYPE] === SESSION_REQUEST && requestName(l, k, n) !== null && i-- === 0) return k;
  }
  return -1;
}
for (const [n, name, label] of [[0, 'nbss.called_name', 'Called name'], [1, 'nbss.calling_name', 'Calling name']] as const) {
  const nameOf = (d: Dissection, i: number) => requestName(nbss.layer(d), requestHolding(d, n, i), n)!;
  defineField({
    name, label, type: FT.String, proto: 'nbss',
    count: (d) => { let c = 0; while (requestHolding(d, n, c) >= 0) c++; return c; },
    text: (d, i) => nameOf(d, i).text,
    display: (d, i) => { const m = nameOf(d, i); return m.type < 0 ? m.text : `${m.text} (${nameTypeDescription(m.type)})`; },
    range: (d, i, o) => { const k = requestHolding(d, n, i); requestName(nbss.layer(d), k, n); return o.set(bufOf(d, k), nameSpan.off, nameSpan.len); },
  });
}
