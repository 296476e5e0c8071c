// Wireshark's "data" protocol: the bytes no dissector claimed. tshark hands them to it in a few
// places, and frame.protocols, -Y data, the details tree ("Data (N bytes)") and data.data/data.len
// show them: a TCP segment's or a UDP datagram's payload that neither a port nor a heuristic (nor a
// stage framing the conversation) took, the data of an ICMP or ICMPv6 echo, a TFTP data block, the
// data after a loopback Reply. Data keeps its fixed id (Proto.Data) and is not in the protocol
// registry's tables: it never names a frame's Protocol or Info column, as packet-data.c sets neither.
//
// What is left over is only known once every stage has had the frame (TLS, the PDU framing of HTTP
// and DNS over TCP, TFTP's transfers on negotiated ports, SOCKS, SSH all claim payload after the
// decode step), so the last analysis stage pushes the layer (hooks' `last`). A protocol that leaves
// part of its message to the data dissector says where (`leaveToData`); one that knows it while
// decoding pushes the layer itself (`pushData`).

import { Dissection, MAX_STACK, Proto, Slot } from '../../decode/dissection';
import { defineField, FT, Span } from '../../fields/registry';
import { isResetCause } from '../../fields/tcp';
import { NOT_DISSECTED, TcpAnalysisFlag as AF } from '../../analysis/tcp-analysis';
import { registerStage } from '../../hooks';
import { etherTypeProtocol, ipProtoProtocol, unclaimedEtherType } from '../../decode/protocol-registry';

/** Where each data layer of the frame ends, by its place in the layer stack (its start is the stack's offset). */
class DataLayer {
  readonly end = new Int32Array(MAX_STACK);
}
const dataLayer = new Slot(() => new DataLayer());

/** Push a data layer over d.buf[off, end): the bytes a protocol hands to the data dissector. */
export function pushData(d: Dissection, off: number, end: number): void {
  if (d.stackLen >= MAX_STACK || end <= off) return;
  dataLayer.of(d).end[d.stackLen] = end;
  d.pushLayer(Proto.Data, off);
}

/** Where the innermost layer of this protocol leaves bytes to the data dissector: true with their span in `out`. */
export type DataLeftover = (d: Dissection, out: Span) => boolean;
const leftovers: (DataLeftover | undefined)[] = [];

/** A protocol (by id) whose message may end in bytes tshark shows as data (an echo's data). */
export function leaveToData(proto: number, where: DataLeftover): void {
  if (leftovers[proto] !== undefined) throw new Error(`protocol ${proto} leaves its data twice`);
  leftovers[proto] = where;
}

const found = new Span();

/**
 * The transport payload tshark gives its data dissector (decode_tcp_ports / decode_udp_ports when no
 * port, heuristic or conversation claims it): what was captured of it, when any was. Over TCP, a
 * keep-alive's byte always is data; a retransmitted or out-of-order segment goes to no protocol at
 * all (tcp.no_subdissector_on_error), nor do bytes that went into reassembly (tcp.segment_data) or a
 * reset's cause.
 */
function transportLeftover(d: Dissection, top: number, out: Span): boolean {
  if (d.payloadCapLen <= 0) return false;
  if (top === Proto.Tcp && (d.tcp.flags & AF.KeepAlive) === 0) {
    if ((d.tcp.flags & NOT_DISSECTED) !== 0 || d.tcp.segmentDataOff >= 0 || isResetCause(d)) return false;
  }
  return out.set(d.buf, d.payloadOff, d.payloadCapLen);
}

/** Hand what the frame's innermost layer left over to the data dissector. O(1), nothing allocated. */
export function handOnUndissected(d: Dissection): void {
  if (d.stackLen === 0) return;
  const top = d.stack[d.stackLen - 1];
  let has = false;
  if (top === Proto.Tcp || top === Proto.Udp) has = transportLeftover(d, top, found);
  else {
    const where = leftovers[top];
    has = where !== undefined && where(d, found);
  }
  if (has && found.buf === d.buf) pushData(d, found.off, found.off + found.len);
}

registerStage({ name: 'data', after: [], last: true, make: () => ({ analyze: handOnUndissected }) });

// Decode As hands an EtherType (-d ethertype==0x88b5,data) or an IP protocol (-d ip.proto==253,data)
// to the data dissector, as tshark lists data among each table's protocols: the link layer's payload
// to the frame's end, the IP payload to the packet's end (its trailer stays the link's). The decode
// loop stops at the layer whose table said data, its payload's start in d.nextOff.
// An EtherType no dissector takes goes to the data dissector too, as Wireshark's ethertype
// dissector hands it on (with bytes left: an empty payload calls no dissector).
const byEtherType: DataLeftover = (d, out) => {
  const to = etherTypeProtocol(d.etherType);
  return (to === Proto.Data || (to === Proto.None && unclaimedEtherType(d))) && d.netOff < 0 && d.frameEnd > d.nextOff &&
    out.set(d.buf, d.nextOff, d.frameEnd - d.nextOff);
};
for (const link of [Proto.Eth, Proto.Vlan, Proto.Sll, Proto.Sll2]) leaveToData(link, byEtherType);
const byIpProto: DataLeftover = (d, out) =>
  d.ipProto >= 0 && ipProtoProtocol(d.ipProto) === Proto.Data && !d.fragmented && out.set(d.buf, d.nextOff, d.netEnd - d.nextOff);
for (const ip of [Proto.IPv4, Proto.IPv6]) leaveToData(ip, byIpProto);

// ---- fields (packet-data.c): the protocol, its bytes and their generated length ----

/** Stack index of data layer i of the frame, -1 when there is none. */
function stackIndex(d: Dissection, i: number): number {
  for (let k = 0; k < d.stackLen; k++) if (d.stack[k] === Proto.Data && i-- === 0) return k;
  return -1;
}
const count = (d: Dissection): number => d.layerCount(Proto.Data);
const span = (d: Dissection, i: number, o: Span): boolean => {
  const k = stackIndex(d, i);
  if (k < 0) return false;
  const off = d.stackOff[k];
  return o.set(d.buf, off, dataLayer.of(d).end[k] - off);
};
const lengthOf = (d: Dissection, i: number): number => (span(d, i, found) ? found.len : 0);
const at = new Span();

defineField({
  // -T fields prints the data protocol as its bytes in hex, as tshark does.
  name: 'data', label: 'Data', shortName: 'Data', type: FT.None, ftype: 'FT_PROTOCOL', proto: 'data', count, range: span,
  text: (d, i) => (span(d, i, at) ? at.buf.toString('hex', at.off, at.off + at.len) : ''),
  heading: (d, i) => { const n = lengthOf(d, i); return `Data (${n} byte${n === 1 ? '' : 's'})`; },
});
defineField({ name: 'data.data', label: 'Data', type: FT.Bytes, proto: 'data', count, bytes: span, range: span });
defineField({
  name: 'data.len', label: 'Length', type: FT.Int, valueBits: 32, proto: 'data', count, generated: true,
  num: lengthOf, range: (d, i, o) => o.set(d.buf, span(d, i, at) ? at.off : 0, 0),
});
