// RIPng (RFC 2080) on udp.port 521: the header and each route table entry, with the Protocol and
// Info columns tshark 4.0 writes (packet-ripng.c: " Command Response, Version 1", the leading space
// its own).

import { Dissection, Malformed, Proto } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { defineField, FT } from '../../fields/registry';
import { ipv6At } from '../../fields/format';

/** RFC 2080 §2.3: RIPng's port. */
export const RIPNG_PORT = 521;
// RFC 2080 §2.1 header
const COMMAND = 0;
const VERSION = 1;
const RESERVED = 2;
const HEADER_LEN = 4;
// RFC 2080 §2.1 route table entry
const RTE_PREFIX = 0;
const RTE_TAG = 16;
const RTE_PREFIX_LEN = 18;
const RTE_METRIC = 19;
const RTE_LEN = 20;

const COMMANDS: Readonly<Record<number, string>> = { 1: 'Request', 2: 'Response' };

class RipngLayer {
  off = 0;
  end = 0;
  /** Whole route table entries after the header. */
  entries = 0;
}

export const ripng = registerProtocol({
  name: 'ripng',
  label: 'RIPng',
  udpPorts: [RIPNG_PORT],
  makeLayer: () => new RipngLayer(),
  decode(d: Dissection, layer: RipngLayer, off: number, end: number, id: number): number {
    layer.off = off;
    layer.end = end;
    layer.entries = 0;
    d.pushLayer(id, off);
    if (end - off < HEADER_LEN) {
      d.markMalformed(Malformed.Application, id);
      return Proto.None;
    }
    layer.entries = Math.floor((end - off - HEADER_LEN) / RTE_LEN);
    // A piece of an entry at the end is read past the datagram in packet-ripng.c: malformed.
    if ((end - off - HEADER_LEN) % RTE_LEN !== 0) d.markMalformed(Malformed.Application, id);
    return Proto.None;
  },
  info: (d, layer) => (layer.end - layer.off < HEADER_LEN ? ''
    : ` Command ${COMMANDS[d.buf[layer.off + COMMAND]] ?? `Unknown (${d.buf[layer.off + COMMAND]})`}, Version ${d.buf[layer.off + VERSION]}`),
});

const at = (d: Dissection): number => ripng.layer(d).off;
const header = (d: Dissection): number => (d.hasLayer(ripng.id) && ripng.layer(d).end - at(d) >= HEADER_LEN ? 1 : 0);
const entries = (d: Dissection): number => (d.hasLayer(ripng.id) ? ripng.layer(d).entries : 0);
const rte = (d: Dissection, i: number): number => at(d) + HEADER_LEN + i * RTE_LEN;
defineField({
  name: 'ripng', label: 'RIPng', shortName: 'RIPng', type: FT.None, proto: 'ripng', count: (d) => (d.hasLayer(ripng.id) ? 1 : 0),
  range: (d, _i, o) => o.set(d.buf, at(d), ripng.layer(d).end - at(d)),
});
defineField({
  name: 'ripng.cmd', label: 'Command', type: FT.UInt, valueBits: 8, proto: 'ripng', count: header, valueNames: COMMANDS,
  num: (d) => d.buf[at(d) + COMMAND], range: (d, _i, o) => o.set(d.buf, at(d) + COMMAND, 1),
});
defineField({
  name: 'ripng.version', label: 'Version', type: FT.UInt, valueBits: 8, proto: 'ripng', count: header,
  num: (d) => d.buf[at(d) + VERSION], range: (d, _i, o) => o.set(d.buf, at(d) + VERSION, 1),
});
defineField({
  name: 'ripng.reserved', label: 'Reserved', type: FT.Bytes, proto: 'ripng', count: header,
  bytes: (d, _i, o) => o.set(d.buf, at(d) + RESERVED, 2), range: (d, _i, o) => o.set(d.buf, at(d) + RESERVED, 2),
});
defineField({
  name: 'ripng.rte', label: 'Route Table Entry', type: FT.None, proto: 'ripng', count: entries,
  text: (d, i) => `Route Table Entry: IPv6 Prefix: ${ipv6At(d.buf, rte(d, i) + RTE_PREFIX)}/${d.buf[rte(d, i) + RTE_PREFIX_LEN]} Metric: ${d.buf[rte(d, i) + RTE_METRIC]}`,
  range: (d, i, o) => o.set(d.buf, rte(d, i), RTE_LEN),
});
defineField({
  name: 'ripng.rte.ipv6_prefix', label: 'IPv6 Prefix', type: FT.IPv6, proto: 'ripng', count: entries, parent: 'ripng.rte',
  bytes: (d, i, o) => o.set(d.buf, rte(d, i) + RTE_PREFIX, 16), range: (d, i, o) => o.set(d.buf, rte(d, i) + RTE_PREFIX, 16),
});
defineField({
  name: 'ripng.rte.route_tag', label: 'Route Tag', type: FT.Hex, hexDigits: 4, valueBits: 16, proto: 'ripng', count: entries, parent: 'ripng.rte',
  num: (d, i) => d.buf.readUInt16BE(rte(d, i) + RTE_TAG), range: (d, i, o) => o.set(d.buf, rte(d, i) + RTE_TAG, 2),
});
defineField({
  name: 'ripng.rte.prefix_length', label: 'Prefix Length', type: FT.UInt, valueBits: 8, proto: 'ripng', count: entries, parent: 'ripng.rte',
  num: (d, i) => d.buf[rte(d, i) + RTE_PREFIX_LEN], range: (d, i, o) => o.set(d.buf, rte(d, i) + RTE_PREFIX_LEN, 1),
});
defineField({
  name: 'ripng.rte.metric', label: 'Metric', type: FT.UInt, valueBits: 8, proto: 'ripng', count: entries, parent: 'ripng.rte',
  num: (d, i) => d.buf[rte(d, i) + RTE_METRIC], range: (d, i, o) => o.set(d.buf, rte(d, i) + RTE_METRIC, 1),
});
