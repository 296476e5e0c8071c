// The protocols that register in the protocol registry (src/decode/protocol-registry.ts): one line
// each. A protocol is its folder: registration, fields and summary (docs/ARCHITECTURE.md).
import './data';
import './ieee8021ad';
import './vxlan';
import './geneve';
import './echo';
import './icmp';
import './icmpv6';
import './arp';
import './loop';
import './vsock';
import './text-lines';
import './urlencoded-form';
import './http';
import './http2';
import './quic';
import './ssh';
import './ntp';
import './dhcp';
import './ssdp';
import './tftp';
import './nbns';
import './nbss';
import './ripng';
import './dns';
import './socks';
import './ajp13';
