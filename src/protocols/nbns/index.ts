// NetBIOS Name Service (RFC 1002 §4.2) on udp.port 137: the header and the questions, and the Info
// column tshark 4.0 writes for them (packet-nbns.c: the opcode, " response" for one, then each
// question's type and NetBIOS name, `Name query NB WORKGROUP<1b>`). Resource records are not
// dissected yet.

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

/** RFC 1002 §4: the name service's port. */
export const NBNS_PORT = 137;
// RFC 1002 §4.2.1.1 header
const ID = 0;
const FLAGS = 2;
const QDCOUNT = 4;
const ANCOUNT = 6;
const NSCOUNT = 8;
const ARCOUNT = 10;
const HEADER_LEN = 12;
const RESPONSE_BIT = 0x8000;
const OPCODE_MASK = 0x7800;
/** RFC 1002 §4.1: a NetBIOS name is 16 bytes, first-level encoded as 32 letters 'A'–'P'. */
const ENCODED_NAME_LEN = 32;
/** RFC 1035 §2.3.4: names are at most 255 bytes, which bounds the label walk. */
const MAX_NAME_BYTES = 255;
/** Questions listed per frame; a header may claim up to 65535. */
const MAX_QUESTIONS = 64;

const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'Name query', 5: 'Registration', 6: 'Release', 7: 'Wait for acknowledgment', 8: 'Refresh',
  9: 'Refresh (alternate opcode)', 15: 'Multi-homed registration',
};
const TYPE_NAMES: Readonly<Record<number, string>> = { 0x20: 'NB', 0x21: 'NBSTAT', 1: 'A', 2: 'NS', 10: 'NULL' };

class NbnsLayer {
  off = 0;
  end = 0;
  questions = 0;
  /** Per question: where its name starts and where its type follows the name. */
  readonly nameOff = new Int32Array(MAX_QUESTIONS);
  readonly typeOff = new Int32Array(MAX_QUESTIONS);
}

export const nbns = registerProtocol({
  name: 'nbns',
  label: 'NBNS',
  udpPorts: [NBNS_PORT],
  makeLayer: () => new NbnsLayer(),
  decode(d: Dissection, layer: NbnsLayer, off: number, end: number, id: number): number {
    layer.off = off;
    layer.end = end;
    layer.questions = 0;
    d.pushLayer(id, off);
    if (end - off < HEADER_LEN) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    const claimed = d.buf.readUInt16BE(off + QDCOUNT);
    let p = off + HEADER_LEN;
    for (let q = 0; q < claimed && q < MAX_QUESTIONS; q++) {
      const after = skipName(d.buf, p, end);
      if (after < 0 || after + 4 > end) {
        d.markMalformed(Malformed.Application, id);
        break;
      }
      layer.nameOff[q] = p;
      layer.typeOff[q] = after;
      layer.questions = q + 1;
      p = after + 4;
    }
    return Proto.None;
  },
  info(d, layer) {
    if (layer.end - layer.off < HEADER_LEN) return '';
    const flags = d.buf.readUInt16BE(layer.off + FLAGS);
    const opcode = (flags & OPCODE_MASK) >> 11;
    let s = (OPCODE_NAMES[opcode] ?? `Unknown operation (${opcode})`) + ((flags & RESPONSE_BIT) !== 0 ? ' response' : '');
    for (let q = 0; q < layer.questions; q++) {
      const type = d.buf.readUInt16BE(layer.typeOff[q]);
      s += ` ${TYPE_NAMES[type] ?? `Unknown (${type})`} ${netbiosName(d.buf, layer.nameOff[q], layer.end)}`;
    }
    return s;
  },
});

/** The offset after an uncompressed name at p (labels, then a zero byte), or -1 when it runs past `end`. */
function skipName(buf: Buffer, p: number, end: number): number {
  const start = p;
  while (p < end && p - start <= MAX_NAME_BYTES) {
    const len = buf[p];
    if (len === 0) return p + 1;
    // RFC 1002 §4.1 allows compression pointers only in answers, not in the questions read here.
    if ((len & 0xc0) !== 0) return -1;
    p += 1 + len;
  }
  return -1;
}

/** RFC 1001 §14.1: the 16 bytes behind the 32 letters, shown as tshark shows them (`NAME<1b>`), then the scope. */
export function netbiosName(buf: Buffer, p: number, end: number): string {
  const len = buf[p];
  let s = '';
  if (len === ENCODED_NAME_LEN && p + 1 + len <= end) {
    let name = '';
    let suffix = 0;
    for (let i = 0; i < 16; i++) {
      const hi = buf[p + 1 + 2 * i] - 0x41, lo = buf[p + 2 + 2 * i] - 0x41;
      const c = ((hi & 0x0f) << 4) | (lo & 0x0f);
      if (i === 15) suffix = c;
      else name += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    }
    s = `${name.replace(/ +$/, '')}<${suffix.toString(16).padStart(2, '0')}>`;
  } else {
    s = buf.toString('latin1', p + 1, Math.min(p + 1 + len, end));
  }
  // scope labels
  let q = p + 1 + len;
  while (q < end && buf[q] !== 0 && (buf[q] & 0xc0) === 0 && q - p <= MAX_NAME_BYTES) {
    s += '.' + buf.toString('latin1', q + 1, Math.min(q + 1 + buf[q], end));
    q += 1 + buf[q];
  }
  return s;
}

const whole = (d: Dissection): number => (d.hasLayer(nbns.id) && nbns.layer(d).end - nbns.layer(d).off >= HEADER_LEN ? 1 : 0);
const at = (d: Dissection): number => nbns.layer(d).off;
defineField({
  name: 'nbns', label: 'NetBIOS Name Service', type: FT.None, proto: 'nbns', count: (d) => (d.hasLayer(nbns.id) ? 1 : 0),
  range: (d, _i, o) => o.set(d.buf, at(d), nbns.layer(d).end - at(d)),
});
defineField({
  name: 'nbns.id', label: 'Transaction ID', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'nbns', count: whole,
  num: (d) => d.buf.readUInt16BE(at(d) + ID), range: (d, _i, o) => o.set(d.buf, at(d) + ID, 2),
});
defineField({
  name: 'nbns.flags', label: 'Flags', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'nbns', count: whole,
  num: (d) => d.buf.readUInt16BE(at(d) + FLAGS), range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 2),
});
for (const [name, label, off] of [
  ['nbns.count.queries', 'Questions', QDCOUNT], ['nbns.count.answers', 'Answer RRs', ANCOUNT],
  ['nbns.count.auth_rr', 'Authority RRs', NSCOUNT], ['nbns.count.add_rr', 'Additional RRs', ARCOUNT],
] as const) {
  defineField({
    name, label, type: FT.UInt, valueBits: 16, proto: 'nbns', count: whole,
    num: (d) => d.buf.readUInt16BE(at(d) + off), range: (d, _i, o) => o.set(d.buf, at(d) + off, 2),
  });
}
const questions = (d: Dissection): number => (d.hasLayer(nbns.id) ? nbns.layer(d).questions : 0);
defineField({
  name: 'nbns.name', label: 'Name', type: FT.String, proto: 'nbns', count: questions,
  text: (d, i) => netbiosName(d.buf, nbns.layer(d).nameOff[i], nbns.layer(d).end),
  range: (d, i, o) => o.set(d.buf, nbns.layer(d).nameOff[i], nbns.layer(d).typeOff[i] - nbns.layer(d).nameOff[i]),
});
defineField({
  name: 'nbns.type', label: 'Type', type: FT.UInt, valueBits: 16, proto: 'nbns', count: questions, valueNames: TYPE_NAMES,
  num: (d, i) => d.buf.readUInt16BE(nbns.layer(d).typeOff[i]), range: (d, i, o) => o.set(d.buf, nbns.layer(d).typeOff[i], 2),
});
defineField({
  name: 'nbns.class', label: 'Class', type: FT.UInt, valueBits: 16, proto: 'nbns', count: questions,
  num: (d, i) => d.buf.readUInt16BE(nbns.layer(d).typeOff[i] + 2), range: (d, i, o) => o.set(d.buf, nbns.layer(d).typeOff[i] + 2, 2),
});
