// ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861), Node Information (RFC 4620, node-info.ts) and MLD: the
// message, its Info column as tshark 4.0 writes it, its fields and tree. ICMPv6 keeps its fixed id
// (Proto.Icmpv6): IPv6 hands on to it directly, and an error's quote and the row colours name it.
// An error quotes the packet that caused it; the quote is decoded as IPv6, marked as inside an
// error (d.inIcmpError), as ICMP's is.

import { Dissection, Malformed, Proto, isIpv6Extension } from '../../decode/dissection';
import { registerProtocol } from '../../decode/protocol-registry';
import { ipv6At, macAt } from '../../fields/format';
import { echoMatch } from '../icmp/echo-match';
import * as w from './wire';
import { Icmpv6Layer } from './layer';
import { walkNodeInformation } from './node-info';

export { Icmpv6Layer };
import './fields';

// RFC 8200 §3: where the IPv6 header keeps what the Info column and the checksum need.
const IP6_HOP_LIMIT = 7;
const ETHER_ADDR_OPTION_LEN = 8;


export const icmpv6 = registerProtocol({
  name: 'icmpv6',
  label: 'ICMPv6',
  fixedId: Proto.Icmpv6,
  makeLayer: () => new Icmpv6Layer(),
  decode(d: Dissection, layer: Icmpv6Layer, off: number, end: number, id: number): number {
    if (end - off < w.MIN_LEN) {
      d.markMalformed(Malformed.Transport, id);
      return Proto.None;
    }
    const k = d.inIcmpError ? 1 : 0;
    layer.count = k + 1;
    layer.off[k] = off;
    layer.end[k] = end;
    // The IPv6 header that carries the message stands before its extension headers.
    let below = d.stackLen - 1;
    while (below >= 0 && isIpv6Extension(d.stack[below])) below--;
    layer.ipOff[k] = below >= 0 && d.stack[below] === Proto.IPv6 ? d.stackOff[below] : -1;
    layer.reportedLen[k] = d.netPayloadLen;
    layer.fragmented[k] = d.fragmented ? 1 : 0;
    if (d.icmpOff < 0) d.icmpOff = off;
    d.pushLayer(id, off);
    const type = d.buf[off + w.TYPE];
    if (k === 0) {
      layer.niNames = 0;
      if ((type === w.NI_QUERY || type === w.NI_REPLY) && !walkNodeInformation(d.buf, off, end, layer)) d.markMalformed(Malformed.Transport, id);
    }
    const start = w.optionsStart(type);
    if (start >= 0) {
      // RFC 4861 §4.6: an option of length 0 is invalid (and would never end a walk); Wireshark
      // marks the packet malformed. The walk advances by at least 8 bytes, so ends.
      for (let p = off + start; end - p >= 2;) {
        const len = d.buf[p + 1] * 8;
        if (len === 0) {
          d.markMalformed(Malformed.Transport, id);
          break;
        }
        p += len;
      }
      return Proto.None;
    }
    if (!w.isError(type) || end - off <= w.HEADER_LEN || d.inIcmpError) return Proto.None;
    d.inIcmpError = true;
    d.nextOff = off + w.HEADER_LEN;
    return Proto.IPv6;
  },
  info: (d, layer) => icmpv6Info(d, layer),
});

const NA_ROUTER = 0x80, NA_SOLICITED = 0x40, NA_OVERRIDE = 0x20; // RFC 4861 §4.4

function icmpv6Info(d: Dissection, layer: Icmpv6Layer): string {
  const buf = d.buf, off = layer.off[0], end = layer.end[0];
  const type = buf[off + w.TYPE];
  let s = w.typeName(type);
  const codeText = w.codeText(type, buf[off + w.CODE]);
  if (codeText !== null) s += ` (${codeText})`;
  switch (type) {
    case w.ECHO_REQUEST: case w.ECHO_REPLY: {
      if (end - off < w.HEADER_LEN) break;
      const hopLimit = layer.ipOff[0] >= 0 ? buf[layer.ipOff[0] + IP6_HOP_LIMIT] : 0;
      s += ` id=0x${buf.readUInt16BE(off + 4).toString(16).padStart(4, '0')}, seq=${buf.readUInt16BE(off + 6)}, hop limit=${hopLimit}`;
      const m = echoMatch.peek(d);
      if (type === w.ECHO_REPLY && m !== undefined && m.number === d.number && m.requestIn > 0) s += ` (request in ${m.requestIn})`;
      break;
    }
    case w.NEIGHBOR_SOLICITATION:
      if (end - off >= 24) s += ` for ${ipv6At(buf, off + 8)}`;
      break;
    case w.NEIGHBOR_ADVERTISEMENT: {
      if (end - off < 24) break;
      s += ` ${ipv6At(buf, off + 8)}`;
      const flags = buf[off + 4];
      const set: string[] = [];
      if (flags & NA_ROUTER) set.push('rtr');
      if (flags & NA_SOLICITED) set.push('sol');
      if (flags & NA_OVERRIDE) set.push('ovr');
      if (set.length > 0) s += ` (${set.join(', ')})`;
      break;
    }
  }
  // The link-layer address options add to the Info column as Wireshark's option dissector does.
  if (w.optionsStart(type) >= 0) {
    w.walkOptions(buf, off, end, (p, len) => {
      const optType = buf[p];
      if (len !== ETHER_ADDR_OPTION_LEN) return;
      if (optType === w.OPT_SOURCE_LINKADDR) s += ` from ${macAt(buf, p + 2)}`;
      else if (optType === w.OPT_TARGET_LINKADDR) s += ` is at ${macAt(buf, p + 2)}`;
    });
  }
  return s;
}
