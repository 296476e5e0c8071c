// UDP fields.

import * as udp from '../decode/udp';
import { defineField, FT, once } from './registry';

const hasUdp = once((d) => d.udpOff >= 0);
defineField({
  name: 'udp', label: 'User Datagram Protocol', type: FT.None, proto: 'udp', count: hasUdp,
  text: (d) => `User Datagram Protocol, Src Port: ${d.buf.readUInt16BE(d.udpOff)}, Dst Port: ${d.buf.readUInt16BE(d.udpOff + 2)}`,
  range: (d, _i, o) => o.set(d.buf, d.udpOff, 8),
});
defineField({ name: 'udp.srcport', valueBits: 16, label: 'Source Port', type: FT.UInt, proto: 'udp', count: hasUdp, num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_SRC_PORT), range: (d, _i, o) => o.set(d.buf, d.udpOff, 2) });
defineField({ name: 'udp.dstport', valueBits: 16, label: 'Destination Port', type: FT.UInt, proto: 'udp', count: hasUdp, num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_DST_PORT), range: (d, _i, o) => o.set(d.buf, d.udpOff + 2, 2) });
defineField({
  name: 'udp.port', valueBits: 16, hidden: true, label: 'Source or Destination Port', type: FT.UInt, proto: 'udp', count: (d) => (d.udpOff >= 0 ? 2 : 0),
  num: (d, i) => d.buf.readUInt16BE(d.udpOff + (i === 0 ? udp.UDP_SRC_PORT : udp.UDP_DST_PORT)),
});
defineField({ name: 'udp.length', valueBits: 16, label: 'Length', type: FT.UInt, proto: 'udp', count: hasUdp, num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_LENGTH) });
defineField({ name: 'udp.checksum', valueBits: 16, label: 'Checksum', type: FT.Hex, hexDigits: 4, proto: 'udp', count: hasUdp, num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_CHECKSUM) });
defineField({
  name: 'udp.payload', label: 'Payload', type: FT.Bytes, proto: 'udp', count: once((d) => d.udpOff >= 0 && d.tcpOff < 0 && d.payloadCapLen > 0),
  bytes: (d, _i, o) => o.set(d.buf, d.payloadOff, d.payloadCapLen),
});
