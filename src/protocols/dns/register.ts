// The three registrations that share DNS's message format: DNS, MDNS and LLMNR.

import { Dissection, Proto } from '../../decode/dissection';
import { registerProtocol, RegisteredProtocol } from '../../decode/protocol-registry';
import { DnsKind, DnsLayer, decodeDnsMessage, decodeDnsTcpSegment } from './layer';
import { messageInfo } from './summary';

/** IANA: domain (53), mdns (5353), llmnr (5355). */
export const DNS_PORT = 53;
export const MDNS_PORT = 5353;
export const LLMNR_PORT = 5355;

function decodeAs(kind: DnsKind) {
  return (d: Dissection, layer: DnsLayer, off: number, end: number, id: number): number => {
    layer.reset(kind, off, end);
    if (d.tcpOff >= 0 && off === d.payloadOff) {
      // Bytes before a whole message (a message cut across segments) are TCP's to show.
      if (decodeDnsTcpSegment(d, layer, off, end, id) === 0) return Proto.Data;
    } else {
      decodeDnsMessage(d, layer, off, end, -1, id);
    }
    d.pushLayer(id, off);
    return Proto.None;
  };
}

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
  makeLayer: () => new DnsLayer(), decode: decodeAs(DnsKind.Dns), info,
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
