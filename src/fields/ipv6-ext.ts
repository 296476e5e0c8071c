// IPv6 extension headers (RFC 8200 §4) as Wireshark shows them: each a protocol of its own
// (ipv6.hopopts, ipv6.routing, ipv6.fraghdr, ipv6.dstopts) whose subtree stands inside its IPv6
// header's, with the header's Next Header and length.

import { Dissection, Proto } from '../decode/dissection';
import { extensionHeaderLength, extensionHeaderType } from '../decode/ip';
import { defineField, FT, Span } from './registry';
import { IP_PROTO_NAMES } from './ip';
import { ipv6At } from './format';

// RFC 8200 §4.4, RFC 6554, RFC 8754: routing types as Wireshark names them.
const ROUTING_TYPE_NAMES: Record<number, string> = {
  0: 'Source Route', 2: 'Type 2 Routing', 3: 'RPL Source Route', 4: 'Segment Routing', 5: 'Compact Routing Header 16', 6: 'Compact Routing Header 32',
};
/** RFC 5095 deprecates type 0 (source routing, an amplification attack). */
const RH0 = 0;

const header = (layer: Proto, name: string, label: string, shortName: string, heading?: (d: Dissection, off: number) => string): void => {
  const count = (d: Dissection): number => d.layerCount(layer);
  const off = (d: Dissection, i: number): number => d.layerOffset(layer, i);
  const length = (d: Dissection, i: number): number => extensionHeaderLength(d.buf, extensionHeaderType(layer), off(d, i));
  defineField({
    name, label, shortName, type: FT.None, proto: name, count,
    text: heading === undefined ? () => label : (d, i) => heading(d, off(d, i)),
    range: (d, i, o) => o.set(d.buf, off(d, i), length(d, i)),
  });
  defineField({
    name: `${name}.nxt`, valueBits: 8, label: layer === Proto.Ipv6FragHdr ? 'Next header' : 'Next Header', type: FT.UInt, proto: name, count,
    num: (d, i) => d.buf[off(d, i)], valueNames: IP_PROTO_NAMES, range: (d, i, o) => o.set(d.buf, off(d, i), 1),
  });
  // The fragment header's second byte is reserved, not a length (RFC 8200 §4.5).
  if (layer === Proto.Ipv6FragHdr) return;
  defineField({
    name: `${name}.len`, valueBits: 8, label: 'Length', type: FT.UInt, proto: name, count,
    num: (d, i) => d.buf[off(d, i) + 1], range: (d, i, o) => o.set(d.buf, off(d, i) + 1, 1),
  });
  defineField({
    name: `${name}.len_oct`, valueBits: 16, label: 'Length', type: FT.UInt, proto: name, count, generated: true,
    num: length, display: (d, i) => `${length(d, i)} bytes`, range: (d, i, o) => o.set(d.buf, off(d, i) + 1, 1),
  });
};

header(Proto.Ipv6HopOpts, 'ipv6.hopopts', 'IPv6 Hop-by-Hop Option', 'IPv6 Hop-by-Hop');
header(Proto.Ipv6Routing, 'ipv6.routing', 'Routing Header for IPv6', 'IPv6 Routing', (d, p) => {
  const type = d.buf[p + 2];
  return `Routing Header for IPv6 (${ROUTING_TYPE_NAMES[type] ?? `Unknown type ${type}`})`;
});
header(Proto.Ipv6FragHdr, 'ipv6.fraghdr', 'Fragment Header for IPv6', 'IPv6 Fragment');
header(Proto.Ipv6DstOpts, 'ipv6.dstopts', 'Destination Options for IPv6', 'IPv6 Destination');

const routings = (d: Dissection): number => d.layerCount(Proto.Ipv6Routing);
const routingAt = (d: Dissection, i: number): number => d.layerOffset(Proto.Ipv6Routing, i);
defineField({
  name: 'ipv6.routing.type', valueBits: 8, label: 'Type', type: FT.UInt, proto: 'ipv6.routing', count: routings,
  num: (d, i) => d.buf[routingAt(d, i) + 2], valueNames: ROUTING_TYPE_NAMES, range: (d, i, o) => o.set(d.buf, routingAt(d, i) + 2, 1),
});
defineField({
  name: 'ipv6.routing.deprecated', label: 'Routing header type is deprecated', type: FT.None, proto: 'ipv6.routing', parent: 'ipv6.routing.type',
  expert: { severity: 'Note', group: 'Deprecated' },
  count: (d) => { let n = 0; for (let i = 0; i < routings(d); i++) if (d.buf[routingAt(d, i) + 2] === RH0) n++; return n; },
  instanceOf: (d, i) => { for (let k = 0; k < routings(d); k++) if (d.buf[routingAt(d, k) + 2] === RH0 && i-- === 0) return k; return -1; },
  text: () => 'Routing header type is deprecated',
  range: (d, i, o) => { for (let k = 0; k < routings(d); k++) if (d.buf[routingAt(d, k) + 2] === RH0 && i-- === 0) return o.set(d.buf, routingAt(d, k) + 2, 1); return false; },
});
defineField({
  name: 'ipv6.routing.segleft', valueBits: 8, label: 'Segments Left', type: FT.UInt, proto: 'ipv6.routing', count: routings,
  num: (d, i) => d.buf[routingAt(d, i) + 3], range: (d, i, o) => o.set(d.buf, routingAt(d, i) + 3, 1),
});
// Type 0 (RFC 2460 §4.4): four reserved bytes, then the addresses to visit.
const RH0_RESERVED = 4;
const RH0_ADDRESSES = 8;
const rh0 = (d: Dissection, i: number): boolean => d.buf[routingAt(d, i) + 2] === RH0;
const rh0Count = (d: Dissection): number => { let n = 0; for (let i = 0; i < routings(d); i++) if (rh0(d, i)) n++; return n; };
const rh0At = (d: Dissection, i: number): number => { for (let k = 0; k < routings(d); k++) if (rh0(d, k) && i-- === 0) return k; return -1; };
const addressCount = (d: Dissection, k: number): number => Math.max(0, (d.buf[routingAt(d, k) + 1] * 8) >> 4);
/** Occurrence i of all type 0 addresses in the frame: [routing header, address index]. */
const rh0Address = (d: Dissection, i: number): [number, number] => {
  for (let k = 0; k < routings(d); k++) {
    if (!rh0(d, k)) continue;
    const n = addressCount(d, k);
    if (i < n) return [k, i];
    i -= n;
  }
  return [-1, 0];
};
defineField({
  name: 'ipv6.routing.src.reserved', label: 'Reserved', type: FT.Bytes, proto: 'ipv6.routing', count: rh0Count, instanceOf: rh0At,
  bytes: (d, i, o) => o.set(d.buf, routingAt(d, rh0At(d, i)) + RH0_RESERVED, 4),
  range: (d, i, o) => o.set(d.buf, routingAt(d, rh0At(d, i)) + RH0_RESERVED, 4),
});
defineField({
  name: 'ipv6.routing.src.addr', label: 'Address', type: FT.IPv6, proto: 'ipv6.routing',
  count: (d) => { let n = 0; for (let k = 0; k < routings(d); k++) if (rh0(d, k)) n += addressCount(d, k); return n; },
  instanceOf: (d, i) => rh0At(d, 0) < 0 ? -1 : rh0Address(d, i)[0],
  heading: (d, i) => { const [k, a] = rh0Address(d, i); return `Address[${a + 1}]: ${ipv6At(d.buf, routingAt(d, k) + RH0_ADDRESSES + 16 * a)}`; },
  bytes: (d, i, o) => { const [k, a] = rh0Address(d, i); return o.set(d.buf, routingAt(d, k) + RH0_ADDRESSES + 16 * a, 16); },
  range: (d, i, o) => { const [k, a] = rh0Address(d, i); return o.set(d.buf, routingAt(d, k) + RH0_ADDRESSES + 16 * a, 16); },
});

// Hop-by-hop options (RFC 8200 §4.2): type, length, data; Pad1 is the one option of a single byte.
const OPT_PAD1 = 0x00, OPT_PADN = 0x01, OPT_ROUTER_ALERT = 0x05, OPT_JUMBO = 0xc2;
const OPTION_NAMES: Record<number, string> = {
  [OPT_PAD1]: 'Pad1', [OPT_PADN]: 'PadN', 0x04: 'Tunnel Encapsulation Limit', [OPT_ROUTER_ALERT]: 'Router Alert', [OPT_JUMBO]: 'Jumbo Payload',
};
// RFC 8200 §4.2: what a node that does not know the option does, the type's two high bits.
const ACTION_NAMES: Record<number, string> = { 0: 'Skip and continue', 1: 'Discard', 2: 'Discard and send ICMP', 3: 'Discard and send ICMP if not multicast' };
// RFC 2711
const ROUTER_ALERT_NAMES: Record<number, string> = { 0: 'MLD', 1: 'RSVP', 2: 'Active Network' };
const optionName = (type: number): string => OPTION_NAMES[type] ?? `Unknown (0x${type.toString(16).padStart(2, '0')})`;

const hopopts = (d: Dissection): number => d.layerCount(Proto.Ipv6HopOpts);
/** Where option i of the frame's hop-by-hop headers starts, -1 past the last; the walk stays inside each header. */
function optionAt(d: Dissection, i: number): number {
  for (let k = 0; k < hopopts(d); k++) {
    const h = d.layerOffset(Proto.Ipv6HopOpts, k);
    const end = h + extensionHeaderLength(d.buf, extensionHeaderType(Proto.Ipv6HopOpts), h);
    for (let p = h + 2; p < end;) {
      // an option that runs past its header is not listed (nor read)
      const len = d.buf[p] === OPT_PAD1 ? 1 : end - p < 2 ? end - p + 1 : 2 + d.buf[p + 1];
      if (len > end - p) break;
      if (i-- === 0) return p;
      p += len;
    }
  }
  return -1;
}
const optionCount = (d: Dissection): number => { let n = 0; while (optionAt(d, n) >= 0) n++; return n; };
/** Bytes of the option at p, clipped to its header. */
const optionLength = (d: Dissection, p: number): number => (d.buf[p] === OPT_PAD1 ? 1 : 2 + d.buf[p + 1]);
/** The options of this type whose data is at least minLen bytes, the data a field of theirs reads. */
const DATA_LEN: Record<number, number> = { [OPT_PADN]: 0, [OPT_ROUTER_ALERT]: 2, [OPT_JUMBO]: 4 };
const isOf = (d: Dissection, p: number, type: number): boolean => d.buf[p] === type && d.buf[p + 1] >= DATA_LEN[type];
const optionsOf = (type: number) => (d: Dissection): number => { let n = 0; for (let i = 0, p; (p = optionAt(d, i)) >= 0; i++) if (isOf(d, p, type)) n++; return n; };
const nthOf = (type: number, j: number, d: Dissection): number => { for (let i = 0, p; (p = optionAt(d, i)) >= 0; i++) if (isOf(d, p, type) && j-- === 0) return i; return -1; };
const withLength = (d: Dissection): number => { let n = 0; for (let i = 0, p; (p = optionAt(d, i)) >= 0; i++) if (d.buf[p] !== OPT_PAD1) n++; return n; };

defineField({
  name: 'ipv6.opt', label: 'IPv6 Option', type: FT.None, proto: 'ipv6.hopopts', count: optionCount,
  heading: (d, i) => optionName(d.buf[optionAt(d, i)]),
  range: (d, i, o) => { const p = optionAt(d, i); return o.set(d.buf, p, optionLength(d, p)); },
});
const typeByte = (d: Dissection, i: number): number => d.buf[optionAt(d, i)];
const typeRange = (d: Dissection, i: number, o: Span): boolean => o.set(d.buf, optionAt(d, i), 1);
defineField({
  name: 'ipv6.opt.type', valueBits: 8, label: 'Type', type: FT.Hex, hexDigits: 2, proto: 'ipv6.hopopts', parent: 'ipv6.opt', parentOf: (_d, i) => i, count: optionCount,
  num: typeByte, display: (d, i) => `${optionName(typeByte(d, i))} (0x${typeByte(d, i).toString(16).padStart(2, '0')})`, range: typeRange,
});
defineField({
  name: 'ipv6.opt.type.action', valueBits: 8, label: 'Action', type: FT.UInt, proto: 'ipv6.hopopts', parent: 'ipv6.opt.type', parentOf: (_d, i) => i, count: optionCount,
  num: (d, i) => typeByte(d, i) >> 6, mask: 0xc0, bitWidth: 8, unit: typeByte, valueNames: ACTION_NAMES, range: typeRange,
});
defineField({
  name: 'ipv6.opt.type.change', label: 'May Change', type: FT.Bool, proto: 'ipv6.hopopts', parent: 'ipv6.opt.type', parentOf: (_d, i) => i, count: optionCount,
  num: (d, i) => (typeByte(d, i) >> 5) & 1, mask: 0x20, bitWidth: 8, unit: typeByte, display: (d, i) => ((typeByte(d, i) >> 5) & 1 ? 'Yes' : 'No'), range: typeRange,
});
defineField({
  name: 'ipv6.opt.type.rest', valueBits: 8, label: 'Low-Order Bits', type: FT.Hex, hexDigits: 2, proto: 'ipv6.hopopts', parent: 'ipv6.opt.type', parentOf: (_d, i) => i, count: optionCount,
  num: (d, i) => typeByte(d, i) & 0x1f, mask: 0x1f, bitWidth: 8, unit: typeByte, range: typeRange,
});
defineField({
  name: 'ipv6.opt.length', valueBits: 8, label: 'Length', type: FT.UInt, proto: 'ipv6.hopopts', parent: 'ipv6.opt', count: withLength,
  parentOf: (d, j) => { for (let i = 0, p; (p = optionAt(d, i)) >= 0; i++) if (d.buf[p] !== OPT_PAD1 && j-- === 0) return i; return -1; },
  num: (d, j) => { for (let i = 0, p; (p = optionAt(d, i)) >= 0; i++) if (d.buf[p] !== OPT_PAD1 && j-- === 0) return d.buf[p + 1]; return 0; },
  range: (d, j, o) => { for (let i = 0, p; (p = optionAt(d, i)) >= 0; i++) if (d.buf[p] !== OPT_PAD1 && j-- === 0) return o.set(d.buf, p + 1, 1); return false; },
});
defineField({
  name: 'ipv6.opt.padn', label: 'PadN', type: FT.Bytes, proto: 'ipv6.hopopts', parent: 'ipv6.opt', count: optionsOf(OPT_PADN), parentOf: (d, j) => nthOf(OPT_PADN, j, d),
  display: (d, j) => { const p = optionAt(d, nthOf(OPT_PADN, j, d)); return d.buf[p + 1] === 0 ? '<none>' : d.buf.toString('hex', p + 2, p + 2 + d.buf[p + 1]); },
  bytes: (d, j, o) => { const p = optionAt(d, nthOf(OPT_PADN, j, d)); return o.set(d.buf, p + 2, d.buf[p + 1]); },
  range: (d, j, o) => { const p = optionAt(d, nthOf(OPT_PADN, j, d)); return o.set(d.buf, p + 2, d.buf[p + 1]); },
});
defineField({
  name: 'ipv6.opt.router_alert', valueBits: 16, label: 'Router Alert', type: FT.UInt, proto: 'ipv6.hopopts', parent: 'ipv6.opt', count: optionsOf(OPT_ROUTER_ALERT),
  parentOf: (d, j) => nthOf(OPT_ROUTER_ALERT, j, d), valueNames: ROUTER_ALERT_NAMES,
  num: (d, j) => d.buf.readUInt16BE(optionAt(d, nthOf(OPT_ROUTER_ALERT, j, d)) + 2),
  range: (d, j, o) => o.set(d.buf, optionAt(d, nthOf(OPT_ROUTER_ALERT, j, d)) + 2, 2),
});
defineField({
  name: 'ipv6.opt.jumbo', valueBits: 32, label: 'Payload Length', type: FT.UInt, proto: 'ipv6.hopopts', parent: 'ipv6.opt', count: optionsOf(OPT_JUMBO),
  parentOf: (d, j) => nthOf(OPT_JUMBO, j, d),
  num: (d, j) => d.buf.readUInt32BE(optionAt(d, nthOf(OPT_JUMBO, j, d)) + 2),
  range: (d, j, o) => o.set(d.buf, optionAt(d, nthOf(OPT_JUMBO, j, d)) + 2, 4),
});
