// IPv4 and IPv6 fields. Addresses and header fields are those of the first IP header of the frame
// (the outer one in a tunnel), which is what tshark's first occurrence shows.

import { Dissection } from '../decode/dissection';
import * as ip from '../decode/ip';
import { defineField, FT, once } from './registry';
import { ipv4At, ipv6At } from './format';

const has4 = once((d) => d.ip4Off >= 0);
const u8 = (o: number) => (d: Dissection) => d.buf[d.ip4Off + o];
const u16 = (o: number) => (d: Dissection) => d.buf.readUInt16BE(d.ip4Off + o);
const u32 = (o: number) => (d: Dissection) => d.buf.readUInt32BE(d.ip4Off + o);

defineField({
  name: 'ip', label: 'Internet Protocol Version 4', type: FT.None, proto: 'ip', count: has4,
  text: (d) => `Internet Protocol Version 4, Src: ${ipv4At(d.buf, d.ip4Off + ip.IP4_SRC)}, Dst: ${ipv4At(d.buf, d.ip4Off + ip.IP4_DST)}`,
  range: (d, _i, out) => out.set(d.buf, d.ip4Off, d.ip4HdrLen),
});
defineField({ name: 'ip.version', label: 'Version', type: FT.UInt, proto: 'ip', count: has4, num: (d) => d.buf[d.ip4Off] >> 4 });
defineField({ name: 'ip.hdr_len', label: 'Header Length', type: FT.UInt, proto: 'ip', count: has4, num: (d) => d.ip4HdrLen });
defineField({ name: 'ip.dsfield', label: 'Differentiated Services Field', type: FT.Hex, hexDigits: 2, proto: 'ip', count: has4, num: u8(ip.IP4_DSFIELD) });
defineField({ name: 'ip.dsfield.dscp', label: 'Differentiated Services Codepoint', type: FT.UInt, proto: 'ip', count: has4, num: (d) => d.buf[d.ip4Off + ip.IP4_DSFIELD] >> 2 });
defineField({ name: 'ip.dsfield.ecn', label: 'Explicit Congestion Notification', type: FT.UInt, proto: 'ip', count: has4, num: (d) => d.buf[d.ip4Off + ip.IP4_DSFIELD] & 3 });
defineField({ name: 'ip.len', label: 'Total Length', type: FT.UInt, proto: 'ip', count: has4, num: u16(ip.IP4_TOTAL_LEN) });
defineField({ name: 'ip.id', label: 'Identification', type: FT.Hex, hexDigits: 4, proto: 'ip', count: has4, num: u16(ip.IP4_ID) });
defineField({ name: 'ip.flags', label: 'Flags', type: FT.Hex, hexDigits: 2, proto: 'ip', count: has4, num: (d) => d.buf[d.ip4Off + ip.IP4_FLAGS_FRAG] >> 5 });
defineField({ name: 'ip.flags.rb', label: 'Reserved bit', type: FT.Bool, proto: 'ip', count: has4, num: (d) => (d.buf[d.ip4Off + ip.IP4_FLAGS_FRAG] >> 7) & 1 });
defineField({ name: 'ip.flags.df', label: "Don't fragment", type: FT.Bool, proto: 'ip', count: has4, num: (d) => (d.buf[d.ip4Off + ip.IP4_FLAGS_FRAG] >> 6) & 1 });
defineField({ name: 'ip.flags.mf', label: 'More fragments', type: FT.Bool, proto: 'ip', count: has4, num: (d) => (d.buf[d.ip4Off + ip.IP4_FLAGS_FRAG] >> 5) & 1 });
defineField({ name: 'ip.frag_offset', label: 'Fragment Offset', type: FT.UInt, proto: 'ip', count: has4, num: (d) => (d.buf.readUInt16BE(d.ip4Off + ip.IP4_FLAGS_FRAG) & 0x1fff) * 8 });
defineField({ name: 'ip.ttl', label: 'Time to Live', type: FT.UInt, proto: 'ip', count: has4, num: u8(ip.IP4_TTL) });
defineField({ name: 'ip.proto', label: 'Protocol', type: FT.UInt, proto: 'ip', count: has4, num: u8(ip.IP4_PROTO) });
defineField({ name: 'ip.checksum', label: 'Header Checksum', type: FT.Hex, hexDigits: 4, proto: 'ip', count: has4, num: u16(ip.IP4_CHECKSUM) });
defineField({
  name: 'ip.src', label: 'Source Address', type: FT.IPv4, proto: 'ip', count: has4, num: u32(ip.IP4_SRC),
  range: (d, _i, out) => out.set(d.buf, d.ip4Off + ip.IP4_SRC, 4),
});
defineField({
  name: 'ip.dst', label: 'Destination Address', type: FT.IPv4, proto: 'ip', count: has4, num: u32(ip.IP4_DST),
  range: (d, _i, out) => out.set(d.buf, d.ip4Off + ip.IP4_DST, 4),
});
defineField({
  name: 'ip.addr', hidden: true, label: 'Source or Destination Address', type: FT.IPv4, proto: 'ip', count: (d) => (d.ip4Off >= 0 ? 2 : 0),
  num: (d, i) => d.buf.readUInt32BE(d.ip4Off + (i === 0 ? ip.IP4_SRC : ip.IP4_DST)),
});

const has6 = once((d) => d.ip6Off >= 0);
defineField({
  name: 'ipv6', label: 'Internet Protocol Version 6', type: FT.None, proto: 'ipv6', count: has6,
  text: (d) => `Internet Protocol Version 6, Src: ${ipv6At(d.buf, d.ip6Off + ip.IP6_SRC)}, Dst: ${ipv6At(d.buf, d.ip6Off + ip.IP6_DST)}`,
  range: (d, _i, out) => out.set(d.buf, d.ip6Off, ip.IP6_HEADER_LEN),
});
defineField({ name: 'ipv6.version', label: 'Version', type: FT.UInt, proto: 'ipv6', count: has6, num: (d) => d.buf[d.ip6Off] >> 4 });
defineField({ name: 'ipv6.tclass', label: 'Traffic Class', type: FT.Hex, hexDigits: 2, proto: 'ipv6', count: has6, num: (d) => (d.buf.readUInt16BE(d.ip6Off) >> 4) & 0xff });
defineField({ name: 'ipv6.flow', label: 'Flow Label', type: FT.Hex, hexDigits: 5, proto: 'ipv6', count: has6, num: (d) => d.buf.readUInt32BE(d.ip6Off) & 0xfffff });
defineField({ name: 'ipv6.plen', label: 'Payload Length', type: FT.UInt, proto: 'ipv6', count: has6, num: (d) => d.buf.readUInt16BE(d.ip6Off + ip.IP6_PAYLOAD_LEN) });
defineField({ name: 'ipv6.nxt', label: 'Next Header', type: FT.UInt, proto: 'ipv6', count: has6, num: (d) => d.buf[d.ip6Off + ip.IP6_NEXT_HEADER] });
defineField({ name: 'ipv6.hlim', label: 'Hop Limit', type: FT.UInt, proto: 'ipv6', count: has6, num: (d) => d.buf[d.ip6Off + ip.IP6_HOP_LIMIT] });
defineField({
  name: 'ipv6.src', label: 'Source Address', type: FT.IPv6, proto: 'ipv6', count: has6,
  bytes: (d, _i, out) => out.set(d.buf, d.ip6Off + ip.IP6_SRC, 16), range: (d, _i, out) => out.set(d.buf, d.ip6Off + ip.IP6_SRC, 16),
});
defineField({
  name: 'ipv6.dst', label: 'Destination Address', type: FT.IPv6, proto: 'ipv6', count: has6,
  bytes: (d, _i, out) => out.set(d.buf, d.ip6Off + ip.IP6_DST, 16), range: (d, _i, out) => out.set(d.buf, d.ip6Off + ip.IP6_DST, 16),
});
defineField({
  name: 'ipv6.addr', hidden: true, label: 'Source or Destination Address', type: FT.IPv6, proto: 'ipv6', count: (d) => (d.ip6Off >= 0 ? 2 : 0),
  bytes: (d, i, out) => out.set(d.buf, d.ip6Off + (i === 0 ? ip.IP6_SRC : ip.IP6_DST), 16),
});
