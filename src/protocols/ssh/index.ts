// SSH (RFC 4250–4254) as tshark 4.0 shows it: this folder is all of it. protocol.ts registers it on
// tcp.port 22 and 29418; analyzer.ts is the `ssh` stage that keeps each stream's state and reads
// the segments; summary.ts and fields.ts show what it found.
import './protocol';
import './analyzer';
import './summary';
import './fields';
