// Geneve (RFC 8926): a tunnel over UDP port 6081 whose 8-byte header (version, options length,
// flags, protocol type, 24-bit VNI) is followed by options and then the inner packet, named by an
// EtherType (0x6558 for Ethernet).

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { etherTypeNext } from '../../decode/link';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';

// RFC 8926 §3.4: Ver(2 bits) OptLen(6 bits, in 4-byte words) | O C Rsvd | Protocol Type(2) | VNI(3) Reserved(1)
const VERSION_OPTLEN = 0;
const FLAGS = 1;
const PROTOCOL_TYPE = 2;
const VNI = 4;
const RESERVED = 7;
const HEADER_LEN = 8;
/** IANA's UDP port for Geneve (RFC 8926 §3.3). */
export const GENEVE_PORT = 6081;

class GeneveLayer {
  off = 0;
  optionsLen = 0;
}

export const geneve = registerProtocol({
  name: 'geneve',
  label: 'Geneve',
  udpPorts: [GENEVE_PORT],
  makeLayer: () => new GeneveLayer(),
  decode(d: Dissection, layer: GeneveLayer, off: number, end: number, id: number): number {
    if (end - off < HEADER_LEN) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    const optionsLen = (d.buf[off + VERSION_OPTLEN] & 0x3f) * 4;
    if (HEADER_LEN + optionsLen > end - off) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    layer.off = off;
    layer.optionsLen = optionsLen;
    d.pushLayer(id, off);
    d.nextOff = off + HEADER_LEN + optionsLen;
    return etherTypeNext(d.buf.readUInt16BE(off + PROTOCOL_TYPE));
  },
});

const present = (d: Dissection): number => (d.hasLayer(geneve.id) ? 1 : 0);
const at = (d: Dissection): number => geneve.layer(d).off;
defineField({
  name: 'geneve', label: 'Generic Network Virtualization Encapsulation', type: FT.None, proto: 'geneve', count: present,
  range: (d, _i, o) => o.set(d.buf, at(d), HEADER_LEN + geneve.layer(d).optionsLen),
});
defineField({
  name: 'geneve.version', label: 'Version', type: FT.UInt, proto: 'geneve', count: present,
  num: (d) => d.buf[at(d) + VERSION_OPTLEN] >> 6, range: (d, _i, o) => o.set(d.buf, at(d) + VERSION_OPTLEN, 1),
});
defineField({
  name: 'geneve.flags', label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'geneve', count: present,
  num: (d) => d.buf[at(d) + FLAGS], range: (d, _i, o) => o.set(d.buf, at(d) + FLAGS, 1),
});
defineField({
  name: 'geneve.proto_type', label: 'Protocol Type', type: FT.Hex, hexDigits: 4, proto: 'geneve', count: present,
  num: (d) => d.buf.readUInt16BE(at(d) + PROTOCOL_TYPE), range: (d, _i, o) => o.set(d.buf, at(d) + PROTOCOL_TYPE, 2),
});
defineField({
  name: 'geneve.vni', label: 'Virtual Network Identifier (VNI)', type: FT.Hex, hexDigits: 6, proto: 'geneve', count: present,
  num: (d) => d.buf.readUIntBE(at(d) + VNI, 3), range: (d, _i, o) => o.set(d.buf, at(d) + VNI, 3),
});
defineField({
  name: 'geneve.reserved', label: 'Reserved', type: FT.Hex, hexDigits: 2, proto: 'geneve', count: present,
  num: (d) => d.buf[at(d) + RESERVED], range: (d, _i, o) => o.set(d.buf, at(d) + RESERVED, 1),
});
defineField({
  name: 'geneve.options', label: 'Geneve Options', type: FT.Bytes, proto: 'geneve', count: (d) => (d.hasLayer(geneve.id) && geneve.layer(d).optionsLen > 0 ? 1 : 0),
  bytes: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN, geneve.layer(d).optionsLen),
  range: (d, _i, o) => o.set(d.buf, at(d) + HEADER_LEN, geneve.layer(d).optionsLen),
});
