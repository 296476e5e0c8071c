// UDP fields.

import * as udp from '../decode/udp';
import { Dissection } from '../decode/dissection';
import { defineField, FT, once } from './registry';
import { ChecksumStatus, CHECKSUM_STATUS_NAMES } from './format';
import { portLabel } from './names';
import { udpStreamOf } from '../analysis/udp-stream-info';

const hasUdp = once((d) => d.udpOff >= 0);
const checksum = (d: Dissection): number => d.buf.readUInt16BE(d.udpOff + udp.UDP_CHECKSUM);
defineField({
  name: 'udp', label: 'User Datagram Protocol', type: FT.None, proto: 'udp', count: hasUdp,
  text: (d) => `User Datagram Protocol, Src Port: ${portLabel('udp', d.buf.readUInt16BE(d.udpOff))}, Dst Port: ${portLabel('udp', d.buf.readUInt16BE(d.udpOff + 2))}`,
  range: (d, _i, o) => o.set(d.buf, d.udpOff, 8),
});
defineField({ name: 'udp.srcport', valueBits: 16, label: 'Source Port', type: FT.UInt, portKind: 'udp', proto: 'udp', count: hasUdp, num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_SRC_PORT), range: (d, _i, o) => o.set(d.buf, d.udpOff, 2) });
defineField({ name: 'udp.dstport', valueBits: 16, label: 'Destination Port', type: FT.UInt, portKind: 'udp', proto: 'udp', count: hasUdp, num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_DST_PORT), range: (d, _i, o) => o.set(d.buf, d.udpOff + 2, 2) });
// traceroute's probes go to ports 33435 and up, three per hop (the classic Unix traceroute):
// Wireshark names the hop and the attempt a probe would be.
const TRACEROUTE_BASE = 33434;
const tracerouteProbe = (d: Dissection): number => {
  const port = d.buf.readUInt16BE(d.udpOff + udp.UDP_DST_PORT);
  return port > TRACEROUTE_BASE && port < TRACEROUTE_BASE + 101 ? port - TRACEROUTE_BASE - 1 : -1;
};
defineField({
  name: 'udp.possible_traceroute', label: 'Possible traceroute', type: FT.None, proto: 'udp', parent: 'udp.dstport', expert: { severity: 'Chat', group: 'Sequence' },
  count: (d) => (hasUdp(d) && tracerouteProbe(d) >= 0 ? 1 : 0),
  text: (d) => `Possible traceroute: hop #${Math.floor(tracerouteProbe(d) / 3) + 1}, attempt #${(tracerouteProbe(d) % 3) + 1}`,
  range: (d, _i, o) => o.set(d.buf, d.udpOff + 2, 2),
});
defineField({
  name: 'udp.port', valueBits: 16, hidden: true, label: 'Source or Destination Port', type: FT.UInt, proto: 'udp', count: (d) => (d.udpOff >= 0 ? 2 : 0),
  num: (d, i) => d.buf.readUInt16BE(d.udpOff + (i === 0 ? udp.UDP_SRC_PORT : udp.UDP_DST_PORT)),
});
defineField({ name: 'udp.length', valueBits: 16, label: 'Length', type: FT.UInt, proto: 'udp', count: hasUdp, num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_LENGTH) });
// tcpwatch verifies no checksum (Wireshark's default for UDP): the value is shown as unverified.
defineField({
  name: 'udp.checksum', valueBits: 16, label: 'Checksum', type: FT.Hex, hexDigits: 4, proto: 'udp', count: hasUdp,
  num: (d) => d.buf.readUInt16BE(d.udpOff + udp.UDP_CHECKSUM),
  display: (d) => `0x${checksum(d).toString(16).padStart(4, '0')} [${checksum(d) === 0 ? 'zero-value ignored' : 'unverified'}]`,
  range: (d, _i, o) => o.set(d.buf, d.udpOff + udp.UDP_CHECKSUM, 2),
});
// A zero checksum over IPv4 means the sender computed none (RFC 768): "Not present", under the checksum.
const udpChecksumStatus = (d: Dissection): ChecksumStatus => (checksum(d) === 0 ? ChecksumStatus.NotPresent : ChecksumStatus.Unverified);
defineField({
  name: 'udp.checksum.status', valueBits: 8, label: 'Checksum Status', type: FT.UInt, proto: 'udp', generated: true, count: hasUdp,
  num: (d) => udpChecksumStatus(d), display: (d) => CHECKSUM_STATUS_NAMES[udpChecksumStatus(d)],
  parent: 'udp.checksum', parentOf: (d) => (checksum(d) === 0 ? 0 : -1),
});
const hasStream = (d: Dissection): number => (d.udpOff >= 0 && udpStreamOf(d) !== null ? 1 : 0);
defineField({
  name: 'udp.stream', valueBits: 32, label: 'Stream index', type: FT.UInt, proto: 'udp', generated: true, count: hasStream,
  num: (d) => udpStreamOf(d)?.stream ?? 0,
});
// The times belong to the conversation's own datagrams, not to one an ICMP error quotes.
const hasTimes = (d: Dissection): number => (hasStream(d) === 1 && !d.inIcmpError ? 1 : 0);
defineField({ name: '_text.udp.timestamps', label: 'Timestamps', type: FT.None, proto: 'udp', textNode: true, generated: true, count: hasTimes, heading: () => 'Timestamps' });
defineField({
  name: 'udp.time_relative', label: 'Time since first frame', type: FT.RelTime, proto: 'udp', generated: true, parent: '_text.udp.timestamps',
  count: hasTimes, num: (d) => udpStreamOf(d)?.sinceFirst ?? 0, display: (d) => `${(udpStreamOf(d)?.sinceFirst ?? 0).toFixed(9)} seconds`,
});
defineField({
  name: 'udp.time_delta', label: 'Time since previous frame', type: FT.RelTime, proto: 'udp', generated: true, parent: '_text.udp.timestamps',
  count: hasTimes, num: (d) => udpStreamOf(d)?.sincePrevious ?? 0, display: (d) => `${(udpStreamOf(d)?.sincePrevious ?? 0).toFixed(9)} seconds`,
});
// The datagram's own payload, captured bytes only: in a tunnel (Geneve, VXLAN) d.payloadOff is the
// inner transport's.
function udpPayloadLen(d: Dissection): number {
  if (d.udpOff + 8 > d.frameEnd) return 0;
  const end = d.inIcmpError ? d.frameEnd : Math.min(d.frameEnd, d.udpOff + d.buf.readUInt16BE(d.udpOff + 4));
  return Math.max(0, end - d.udpOff - 8);
}
defineField({
  name: 'udp.payload', label: 'UDP payload', type: FT.Bytes, proto: 'udp', count: once((d) => d.udpOff >= 0 && udpPayloadLen(d) > 0),
  bytes: (d, _i, o) => o.set(d.buf, d.udpOff + 8, udpPayloadLen(d)),
  heading: (d) => `UDP payload (${udpPayloadLen(d)} byte${udpPayloadLen(d) === 1 ? '' : 's'})`,
});
