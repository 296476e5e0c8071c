// The three registrations that share DNS's message format: DNS, MDNS and LLMNR.

import { Dissection, Proto } from '../../decode/dissection';
import { registerProtocol, RegisteredProtocol } from '../../decode/protocol-registry';
import { DnsKind, DnsLayer, decodeDnsMessage } from './layer';
import { messageInfo } from './summary';
import { DNS_TCP_LENGTH_LEN, dnsTcpPduLength } from './wire';

/** IANA: domain (53), mdns (5353), llmnr (5355). */
export const DNS_PORT = 53;
export const MDNS_PORT = 5353;
export const LLMNR_PORT = 5355;

/** One message over UDP (or in the datagram an ICMP error quotes). */
function decodeAs(kind: DnsKind) {
  return (d: Dissection, layer: DnsLayer, off: number, end: number, id: number): number => {
    layer.reset(kind, d.buf, off, end);
    decodeDnsMessage(d, layer, off, end, -1, id);
    d.pushLayer(id, off);
    return Proto.None;
  };
}

/**
 * Over TCP each message is a PDU of its 2-byte length and the message (RFC 1035 §4.2.2), framed
 * by the shared TCP PDU framing (Wireshark's tcp_dissect_pdus with its DNS length function): a
 * message cut across segments is read in the frame that completes it.
 */
const overTcp = {
  pduLength: (buf: Buffer, off: number, end: number): number => {
    const n = dnsTcpPduLength(buf, off, end);
    return n < 0 ? -DNS_TCP_LENGTH_LEN : n;
  },
  dissect(d: Dissection, layer: DnsLayer, buf: Buffer, off: number, end: number, reassembled: boolean, id: number): void {
    if (!d.hasLayer(id)) {
      layer.reset(DnsKind.Dns, d.buf, off, off);
      d.pushLayer(id, reassembled ? d.payloadOff : off);
    }
    const at = layer.place(buf, off, end);
    if (at < 0) return;
    if (layer.buf === d.buf) layer.end = end;
    decodeDnsMessage(d, layer, at + DNS_TCP_LENGTH_LEN, at + (end - off), at, id);
  },
};

/**
 * The Info column: the summary of the frame's last message (Wireshark writes each message's over
 * the one before). Inside the packet an ICMP error quotes, the ICMP message names the frame.
 */
function info(d: Dissection, layer: DnsLayer): string | null {
  if (d.inIcmpError) return null;
  return layer.msgCount > 0 ? messageInfo(d, layer, layer.msgCount - 1) : '';
}

export const dns = registerProtocol({
  name: 'dns', label: 'DNS', udpPorts: [DNS_PORT], tcpPorts: [DNS_PORT, MDNS_PORT],
  makeLayer: () => new DnsLayer(), decode: decodeAs(DnsKind.Dns), info, tcpPdu: overTcp,
});
export const mdns = registerProtocol({
  name: 'mdns', label: 'MDNS', udpPorts: [MDNS_PORT],
  makeLayer: () => new DnsLayer(), decode: decodeAs(DnsKind.Mdns), info,
});
export const llmnr = registerProtocol({
  name: 'llmnr', label: 'LLMNR', udpPorts: [LLMNR_PORT],
  makeLayer: () => new DnsLayer(), decode: decodeAs(DnsKind.Llmnr), info,
});

const KINDS: readonly RegisteredProtocol<DnsLayer>[] = [dns, mdns, llmnr];

/** The frame's DNS, MDNS or LLMNR layer, or null. */
export function dnsLayerOf(d: Dissection): DnsLayer | null {
  for (const p of KINDS) if (d.hasLayer(p.id)) return p.layer(d);
  return null;
}
