// DNS (RFC 1034, RFC 1035) over UDP and TCP port 53, and the two protocols that share its message
// format and its dns.* fields: Multicast DNS (RFC 6762, UDP 5353, Protocol column `MDNS`) and
// LLMNR (RFC 4795, UDP 5355, `LLMNR`), registered as tshark 4.0 registers them.
//
// Over TCP every message is preceded by its 2-byte length (RFC 1035 §4.2.2). Until the shared TCP
// PDU framing lands, a segment's whole messages are decoded where they lie; `dnsTcpPduLength` and
// `decodeDnsMessage` are what that framing needs to put DNS onto it.

export { dnsTcpPduLength } from './wire';
export { decodeDnsMessage, decodeDnsTcpSegment, DnsLayer } from './layer';
export { messageInfo } from './summary';
export { dns, mdns, llmnr, dnsLayerOf, DNS_PORT, MDNS_PORT, LLMNR_PORT } from './register';
import './fields';
import './matching';
