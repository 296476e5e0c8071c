// DNS (RFC 1034, RFC 1035) over UDP and TCP port 53, and the two protocols that share its message
// format and its dns.* fields: Multicast DNS (RFC 6762, UDP 5353, Protocol column `MDNS`) and
// LLMNR (RFC 4795, UDP 5355, `LLMNR`), registered as tshark 4.0 registers them.
//
// Over TCP every message is preceded by its 2-byte length (RFC 1035 §4.2.2) and the shared TCP PDU
// framing cuts the stream into messages (register.ts): one cut across segments is read in the frame
// that completes it, the frames before carrying "[TCP segment of a reassembled PDU]".

export { dnsTcpPduLength } from './wire';
export { decodeDnsMessage, DnsLayer } from './layer';
export { messageInfo } from './summary';
export { dns, mdns, llmnr, dnsLayerOf, DNS_PORT, MDNS_PORT, LLMNR_PORT } from './register';
import './fields';
import './matching';
