// The modules that every reader of packets needs, registered when imported: the field registry's
// fields, the display-filter compiler, and the analysis stages after TCP (TLS records, decryption,
// stream verdicts, in that order). The library entry, the command line and the UI's indexing
// process import this file; nothing here knows the command line, the UI or the lab.
import './fields';
import './protocols';
import './filter';
import './analysis/udp-streams'; // udp.stream: UDP conversations numbered as Wireshark numbers them
import './analysis/pdu-framing'; // PDU framing over TCP for the protocols that ask for it (HTTP, DNS over TCP …)
import './tls/analyzer';
import './tls/decrypt-analyzer';
import './reports/verdict-fields'; // stream verdicts: the analysis stage and its tcpwatch.stream.* fields
