// A SYN flood: N TCP connections that never get past their first SYN, each from its own address
// and port, as a pcap stream. Every connection is a new tcp.stream for tcpwatch (and tshark), and
// none carries data, so the stream measures the state tcpwatch keeps per connection and nothing else.
//
//   node dist/scripts/attacks/syn-flood.js N | tcpwatch -r - -q
//
// writes the pcap to standard output as it makes it (4 M connections are 300 MB: not worth a file);
// tests import synFloodChunks.

/** pcap file header (LINKTYPE_ETHERNET, microsecond timestamps). */
const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const PCAP_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const ETH_LEN = 14;
const IPV4_LEN = 20;
/** TCP header with one option, MSS (RFC 9293 §3.2), as SYNs carry. */
const TCP_LEN = 24;
const FRAME_LEN = ETH_LEN + IPV4_LEN + TCP_LEN;
const RECORD_LEN = RECORD_HEADER_LEN + FRAME_LEN;
const TH_SYN = 0x02;
const SERVER_PORT = 80;
/** Records per chunk handed to the consumer. */
const CHUNK_RECORDS = 4096;

export function pcapHeader(): Buffer {
  const h = Buffer.alloc(PCAP_HEADER_LEN);
  h.writeUInt32LE(PCAP_MAGIC, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16);
  h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  return h;
}

/**
 * Client address and port of connection `i`: 10.0.0.0/8 addresses, 50 000 ports each
 * (10.a.b.c:p with p from 10 000), so every 4-tuple to 192.0.2.1:80 differs.
 */
function writeSyn(b: Buffer, at: number, i: number, usec = i): void {
  b.writeUInt32LE(1_700_000_000 + Math.floor(usec / 1e6), at);
  b.writeUInt32LE(usec % 1e6, at + 4);
  b.writeUInt32LE(FRAME_LEN, at + 8);
  b.writeUInt32LE(FRAME_LEN, at + 12);
  const e = at + RECORD_HEADER_LEN;
  b.fill(0, e, e + FRAME_LEN);
  b[e] = 0x02; b[e + 5] = 0x01; // destination MAC 02:00:00:00:00:01
  b[e + 6] = 0x02; b[e + 11] = 0x02;
  b.writeUInt16BE(0x0800, e + 12);
  const ip = e + ETH_LEN;
  const host = 1 + Math.floor(i / 50_000);
  const port = 10_000 + (i % 50_000);
  b[ip] = 0x45;
  b.writeUInt16BE(IPV4_LEN + TCP_LEN, ip + 2);
  b.writeUInt16BE(i & 0xffff, ip + 4);
  b[ip + 6] = 0x40; // DF
  b[ip + 8] = 64;
  b[ip + 9] = 6;
  b[ip + 12] = 10; b[ip + 13] = (host >>> 16) & 0xff; b[ip + 14] = (host >>> 8) & 0xff; b[ip + 15] = host & 0xff;
  b[ip + 16] = 192; b[ip + 17] = 0; b[ip + 18] = 2; b[ip + 19] = 1;
  let sum = 0;
  for (let k = 0; k < IPV4_LEN; k += 2) sum += b.readUInt16BE(ip + k);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, ip + 10);
  const tcp = ip + IPV4_LEN;
  b.writeUInt16BE(port, tcp);
  b.writeUInt16BE(SERVER_PORT, tcp + 2);
  b.writeUInt32BE((Math.imul(i, 2654435761) >>> 0), tcp + 4); // initial sequence number
  b[tcp + 12] = (TCP_LEN / 4) << 4;
  b[tcp + 13] = TH_SYN;
  b.writeUInt16BE(64240, tcp + 14);
  b[tcp + 20] = 2; b[tcp + 21] = 4; b.writeUInt16BE(1460, tcp + 22); // MSS 1460
}

/** One more SYN of connection `i` (a retransmission: the same sequence number), at `usec` µs. */
export function synRecord(i: number, usec: number): Buffer {
  const b = Buffer.allocUnsafe(RECORD_LEN);
  writeSyn(b, 0, i, usec);
  return b;
}

/** The pcap of `n` SYN-only connections (one every microsecond): the file header, then chunks of records. */
export function* synFloodChunks(n: number): Generator<Buffer> {
  yield pcapHeader();
  for (let first = 0; first < n; first += CHUNK_RECORDS) {
    const count = Math.min(CHUNK_RECORDS, n - first);
    const b = Buffer.allocUnsafe(count * RECORD_LEN);
    for (let k = 0; k < count; k++) writeSyn(b, k * RECORD_LEN, first + k);
    yield b;
  }
}

/** The 4-tuple of connection `i`, as tshark prints ip.src and tcp.srcport. */
export function synFloodClient(i: number): { address: string; port: number } {
  const host = 1 + Math.floor(i / 50_000);
  return { address: `10.${(host >>> 16) & 0xff}.${(host >>> 8) & 0xff}.${host & 0xff}`, port: 10_000 + (i % 50_000) };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write('usage: syn-flood.js N  (N SYN-only connections as a pcap on standard output)\n');
    process.exit(2);
  }
  process.stdout.on('error', () => process.exit(0)); // the reader went away
  for (const chunk of synFloodChunks(n)) {
    if (!process.stdout.write(chunk)) await new Promise<void>((r) => process.stdout.once('drain', () => r()));
  }
}

if (require.main === module) void main();
