// IPv4 and IPv6 fields, one occurrence per IP header in the frame: the first is the outer header
// (what tshark's first occurrence shows), then tunnelled or ICMP-quoted ones.

import { Dissection, Proto } from '../decode/dissection';
import * as ip from '../decode/ip';
import { defineField, FT } from './registry';
import { ipv4At, ipv6At } from './format';

// Every IPv4 header of the frame is an occurrence, in order: the outer one first, then those a
// tunnel carries or an ICMP error quotes. `ip.src == X` matches any of them, as in Wireshark.
function count4(d: Dissection): number {
  let n = 0;
  for (let i = 0; i < d.stackLen; i++) if (d.stack[i] === Proto.IPv4) n++;
  return n;
}
function off4(d: Dissection, occurrence: number): number {
  for (let i = 0, n = 0; i < d.stackLen; i++) {
    if (d.stack[i] === Proto.IPv4 && n++ === occurrence) return d.stackOff[i];
  }
  return d.ip4Off;
}
const hdrLen4 = (d: Dissection, o: number): number => (d.buf[o] & 0x0f) * 4;
const u8 = (field: number) => (d: Dissection, i: number) => d.buf[off4(d, i) + field];
const u16 = (field: number) => (d: Dissection, i: number) => d.buf.readUInt16BE(off4(d, i) + field);
const u32 = (field: number) => (d: Dissection, i: number) => d.buf.readUInt32BE(off4(d, i) + field);
const flagsByte = (d: Dissection, i: number): number => d.buf[off4(d, i) + ip.IP4_FLAGS_FRAG];

defineField({
  name: 'ip', label: 'Internet Protocol Version 4', type: FT.None, proto: 'ip', count: count4,
  text: (d, i) => `Internet Protocol Version 4, Src: ${ipv4At(d.buf, off4(d, i) + ip.IP4_SRC)}, Dst: ${ipv4At(d.buf, off4(d, i) + ip.IP4_DST)}`,
  range: (d, i, out) => out.set(d.buf, off4(d, i), hdrLen4(d, off4(d, i))),
});
defineField({ name: 'ip.version', label: 'Version', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => d.buf[off4(d, i)] >> 4 });
defineField({ name: 'ip.hdr_len', label: 'Header Length', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => hdrLen4(d, off4(d, i)) });
defineField({ name: 'ip.dsfield', label: 'Differentiated Services Field', type: FT.Hex, hexDigits: 2, proto: 'ip', count: count4, num: u8(ip.IP4_DSFIELD) });
defineField({ name: 'ip.dsfield.dscp', label: 'Differentiated Services Codepoint', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => u8(ip.IP4_DSFIELD)(d, i) >> 2 });
defineField({ name: 'ip.dsfield.ecn', label: 'Explicit Congestion Notification', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => u8(ip.IP4_DSFIELD)(d, i) & 3 });
defineField({
  name: 'ip.len', label: 'Total Length', type: FT.UInt, proto: 'ip', count: count4,
  // A total length of 0 (TCP segmentation offload) is shown as the length actually used, as Wireshark does.
  num: (d, i) => { const o = off4(d, i); const v = d.buf.readUInt16BE(o + ip.IP4_TOTAL_LEN); return v !== 0 ? v : d.frameEnd - o; },
});
defineField({ name: 'ip.id', label: 'Identification', type: FT.Hex, hexDigits: 4, proto: 'ip', count: count4, num: u16(ip.IP4_ID) });
defineField({ name: 'ip.flags', label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'ip', count: count4, num: (d, i) => flagsByte(d, i) >> 5 });
defineField({ name: 'ip.flags.rb', label: 'Reserved bit', type: FT.Bool, proto: 'ip', count: count4, num: (d, i) => (flagsByte(d, i) >> 7) & 1 });
defineField({ name: 'ip.flags.df', label: "Don't fragment", type: FT.Bool, proto: 'ip', count: count4, num: (d, i) => (flagsByte(d, i) >> 6) & 1 });
defineField({ name: 'ip.flags.mf', label: 'More fragments', type: FT.Bool, proto: 'ip', count: count4, num: (d, i) => (flagsByte(d, i) >> 5) & 1 });
defineField({ name: 'ip.frag_offset', label: 'Fragment Offset', type: FT.UInt, proto: 'ip', count: count4, num: (d, i) => (u16(ip.IP4_FLAGS_FRAG)(d, i) & 0x1fff) * 8 });
defineField({ name: 'ip.ttl', label: 'Time to Live', type: FT.UInt, proto: 'ip', count: count4, num: u8(ip.IP4_TTL) });
defineField({ name: 'ip.proto', label: 'Protocol', type: FT.UInt, proto: 'ip', count: count4, num: u8(ip.IP4_PROTO) });
defineField({ name: 'ip.checksum', label: 'Header Checksum', type: FT.Hex, hexDigits: 4, proto: 'ip', count: count4, num: u16(ip.IP4_CHECKSUM) });
defineField({
  name: 'ip.src', label: 'Source Address', type: FT.IPv4, proto: 'ip', count: count4, num: u32(ip.IP4_SRC),
  range: (d, i, out) => out.set(d.buf, off4(d, i) + ip.IP4_SRC, 4),
});
defineField({
  name: 'ip.dst', label: 'Destination Address', type: FT.IPv4, proto: 'ip', count: count4, num: u32(ip.IP4_DST),
  range: (d, i, out) => out.set(d.buf, off4(d, i) + ip.IP4_DST, 4),
});
defineField({
  name: 'ip.addr', hidden: true, label: 'Source or Destination Address', type: FT.IPv4, proto: 'ip', count: (d) => 2 * count4(d),
  num: (d, i) => d.buf.readUInt32BE(off4(d, i >> 1) + ((i & 1) === 0 ? ip.IP4_SRC : ip.IP4_DST)),
});

function count6(d: Dissection): number {
  let n = 0;
  for (let i = 0; i < d.stackLen; i++) if (d.stack[i] === Proto.IPv6) n++;
  return n;
}
function off6(d: Dissection, occurrence: number): number {
  for (let i = 0, n = 0; i < d.stackLen; i++) {
    if (d.stack[i] === Proto.IPv6 && n++ === occurrence) return d.stackOff[i];
  }
  return d.ip6Off;
}
const has6 = count6;
defineField({
  name: 'ipv6', label: 'Internet Protocol Version 6', type: FT.None, proto: 'ipv6', count: has6,
  text: (d, i) => `Internet Protocol Version 6, Src: ${ipv6At(d.buf, off6(d, i) + ip.IP6_SRC)}, Dst: ${ipv6At(d.buf, off6(d, i) + ip.IP6_DST)}`,
  range: (d, i, out) => out.set(d.buf, off6(d, i), ip.IP6_HEADER_LEN),
});
defineField({ name: 'ipv6.version', label: 'Version', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => d.buf[off6(d, i)] >> 4 });
defineField({ name: 'ipv6.tclass', label: 'Traffic Class', type: FT.Hex, hexDigits: 2, proto: 'ipv6', count: has6, num: (d, i) => (d.buf.readUInt16BE(off6(d, i)) >> 4) & 0xff });
defineField({ name: 'ipv6.flow', label: 'Flow Label', type: FT.Hex, hexDigits: 5, proto: 'ipv6', count: has6, num: (d, i) => d.buf.readUInt32BE(off6(d, i)) & 0xfffff });
defineField({ name: 'ipv6.plen', label: 'Payload Length', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => d.buf.readUInt16BE(off6(d, i) + ip.IP6_PAYLOAD_LEN) });
defineField({ name: 'ipv6.nxt', label: 'Next Header', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => d.buf[off6(d, i) + ip.IP6_NEXT_HEADER] });
defineField({ name: 'ipv6.hlim', label: 'Hop Limit', type: FT.UInt, proto: 'ipv6', count: has6, num: (d, i) => d.buf[off6(d, i) + ip.IP6_HOP_LIMIT] });
defineField({
  name: 'ipv6.src', label: 'Source Address', type: FT.IPv6, proto: 'ipv6', count: has6,
  bytes: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_SRC, 16), range: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_SRC, 16),
});
defineField({
  name: 'ipv6.dst', label: 'Destination Address', type: FT.IPv6, proto: 'ipv6', count: has6,
  bytes: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_DST, 16), range: (d, i, out) => out.set(d.buf, off6(d, i) + ip.IP6_DST, 16),
});
defineField({
  name: 'ipv6.addr', hidden: true, label: 'Source or Destination Address', type: FT.IPv6, proto: 'ipv6', count: (d) => 2 * count6(d),
  bytes: (d, i, out) => out.set(d.buf, off6(d, i >> 1) + ((i & 1) === 0 ? ip.IP6_SRC : ip.IP6_DST), 16),
});
