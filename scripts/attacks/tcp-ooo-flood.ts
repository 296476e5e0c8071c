// An attack on TCP out-of-order reassembly: after the handshake, a client sends its stream's bytes
// one byte per segment, last byte first, so that every segment lands before all the ones held and no
// hole closes until the very last (the first byte) arrives. With `stride` 2 only every other byte is
// sent, so that no two held segments even touch. A reassembler that finds a segment's place by walking
// its list, or that takes the first piece off the front of an array, spends time quadratic in the
// number of segments.
//
//   node dist/scripts/attacks/tcp-ooo-flood.js OUT.pcap [SEGMENTS] [STRIDE]
//
// writes Ethernet/IPv4/TCP from 10.0.0.1:40000 to 10.0.0.2:443 as a classic pcap; read it with
// `-o tcp.reassemble_out_of_order:TRUE` to reassemble. Tests import tcpOooFloodPcap.

import * as fs from 'node:fs';

const CLIENT_ISN = 0x10000000;
const SERVER_ISN = 0x20000000;
const SYN = 0x02, ACK = 0x10, PSH = 0x08;
const ETH_IPV4_TCP = 14 + 20 + 20;

/** One Ethernet/IPv4/TCP frame (checksums zero: tcpwatch, like tshark by default, does not verify them). */
function frame(fromClient: boolean, seq: number, ack: number, flags: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(ETH_IPV4_TCP + payload.length);
  Buffer.from(fromClient ? '020000000002020000000001' : '020000000001020000000002', 'hex').copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(20 + 20 + payload.length, 16);
  f[22] = 64;
  f[23] = 6;
  f.writeUInt32BE(fromClient ? 0x0a000001 : 0x0a000002, 26);
  f.writeUInt32BE(fromClient ? 0x0a000002 : 0x0a000001, 30);
  f.writeUInt16BE(fromClient ? 40000 : 443, 34);
  f.writeUInt16BE(fromClient ? 443 : 40000, 36);
  f.writeUInt32BE(seq >>> 0, 38);
  f.writeUInt32BE(ack >>> 0, 42);
  f.writeUInt16BE((5 << 12) | flags, 46);
  f.writeUInt16BE(65535, 48);
  payload.copy(f, ETH_IPV4_TCP);
  return f;
}

/** The flood's frames: handshake, then `segments` one-byte segments at offsets (segments-1)*stride … 0. */
export function tcpOooFloodFrames(segments = 100_000, stride = 1): Buffer[] {
  const frames = [
    frame(true, CLIENT_ISN, 0, SYN, Buffer.alloc(0)),
    frame(false, SERVER_ISN, CLIENT_ISN + 1, SYN | ACK, Buffer.alloc(0)),
    frame(true, CLIENT_ISN + 1, SERVER_ISN + 1, ACK, Buffer.alloc(0)),
  ];
  const byte = Buffer.alloc(1);
  for (let k = segments - 1; k >= 0; k--) {
    byte[0] = 0x16 + (k & 0x0f); // bytes that look like the start of TLS records at every offset
    frames.push(frame(true, CLIENT_ISN + 1 + k * stride, SERVER_ISN + 1, PSH | ACK, byte));
  }
  return frames;
}

/** The frames as a classic pcap (LINKTYPE_ETHERNET), 10 µs apart. */
export function tcpOooFloodPcap(segments?: number, stride?: number): Buffer {
  const frames = tcpOooFloodFrames(segments, stride);
  const out = Buffer.alloc(24 + frames.reduce((a, f) => a + 16 + f.length, 0));
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(1, 20);
  let p = 24;
  frames.forEach((f, i) => {
    out.writeUInt32LE(1_700_000_000 + Math.floor(i / 100_000), p);
    out.writeUInt32LE((i % 100_000) * 10, p + 4);
    out.writeUInt32LE(f.length, p + 8);
    out.writeUInt32LE(f.length, p + 12);
    f.copy(out, p + 16);
    p += 16 + f.length;
  });
  return out;
}

if (require.main === module) {
  const [out, n, stride] = process.argv.slice(2);
  if (out === undefined || (n !== undefined && !(Number(n) > 0)) || (stride !== undefined && !(Number(stride) >= 1))) {
    process.stderr.write('usage: tcp-ooo-flood OUT.pcap [SEGMENTS] [STRIDE]\n');
    process.exit(2);
  }
  const segments = n === undefined ? undefined : Number(n);
  fs.writeFileSync(out, tcpOooFloodPcap(segments, stride === undefined ? undefined : Number(stride)));
  process.stdout.write(`${out}: handshake and ${segments ?? 100_000} one-byte segments, last byte first\n`);
}
