// Small literal frames for tests that need a decoded packet: Ethernet + IPv4/IPv6 + TCP/UDP, built
// from the header values a test names (checksums are left zero; tcpwatch does not verify them).

import { Dissection } from '../../src/decode/dissection';
import { decodeFrame } from '../../src/decode/decoder';
import { LINKTYPE } from '../../src/decode/link';

const mac = (s: string): Buffer => Buffer.from(s.replace(/:/g, ''), 'hex');
const ip4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));

function ip6(s: string): Buffer {
  const [head, tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = s.includes('::') ? [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

export interface FrameSpec {
  ethSrc?: string;
  ethDst?: string;
  /** IPv4 dotted quads, or IPv6 text when `v6` is set. */
  src?: string;
  dst?: string;
  v6?: boolean;
  ttl?: number;
  ipId?: number;
  udp?: boolean;
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** TCP flags (0x002 SYN, 0x010 ACK, 0x018 PSH+ACK …). */
  flags?: number;
  window?: number;
  /** TCP options, already padded to a multiple of 4. */
  options?: Buffer;
  payload?: Buffer | string;
}

export function buildFrame(s: FrameSpec): Buffer {
  const payload = typeof s.payload === 'string' ? Buffer.from(s.payload, 'latin1') : s.payload ?? Buffer.alloc(0);
  let l4: Buffer;
  if (s.udp) {
    l4 = Buffer.alloc(8);
    l4.writeUInt16BE(s.sport ?? 5353, 0);
    l4.writeUInt16BE(s.dport ?? 53, 2);
    l4.writeUInt16BE(8 + payload.length, 4);
  } else {
    const opts = s.options ?? Buffer.alloc(0);
    l4 = Buffer.alloc(20 + opts.length);
    l4.writeUInt16BE(s.sport ?? 52224, 0);
    l4.writeUInt16BE(s.dport ?? 443, 2);
    l4.writeUInt32BE(s.seq ?? 1000, 4);
    l4.writeUInt32BE(s.ack ?? 0, 8);
    l4.writeUInt16BE((((20 + opts.length) / 4) << 12) | (s.flags ?? 0x010), 12);
    l4.writeUInt16BE(s.window ?? 502, 14);
    opts.copy(l4, 20);
  }
  const proto = s.udp ? 17 : 6;
  let l3: Buffer;
  if (s.v6) {
    l3 = Buffer.alloc(40);
    l3.writeUInt32BE(0x60000000, 0);
    l3.writeUInt16BE(l4.length + payload.length, 4);
    l3[6] = proto;
    l3[7] = s.ttl ?? 64;
    ip6(s.src ?? '2001:db8::1').copy(l3, 8);
    ip6(s.dst ?? '2001:db8::2').copy(l3, 24);
  } else {
    l3 = Buffer.alloc(20);
    l3[0] = 0x45;
    l3.writeUInt16BE(20 + l4.length + payload.length, 2);
    l3.writeUInt16BE(s.ipId ?? 0x1234, 4);
    l3.writeUInt16BE(0x4000, 6); // DF
    l3[8] = s.ttl ?? 64;
    l3[9] = proto;
    ip4(s.src ?? '192.168.1.168').copy(l3, 12);
    ip4(s.dst ?? '104.21.234.234').copy(l3, 16);
  }
  const eth = Buffer.concat([mac(s.ethDst ?? '00:1b:21:3c:ac:30'), mac(s.ethSrc ?? '7a:45:58:c0:1d:c0'), Buffer.from(s.v6 ? [0x86, 0xdd] : [0x08, 0x00])]);
  return Buffer.concat([eth, l3, l4, payload]);
}

/** A decoded frame, ready for a filter. */
export function dissect(spec: FrameSpec, number = 1): Dissection {
  const frame = buildFrame(spec);
  const d = new Dissection();
  decodeFrame(d, frame, 0, frame.length, LINKTYPE.ETHERNET);
  d.origLen = frame.length;
  d.number = number;
  return d;
}

/** A classic little-endian pcap file of Ethernet frames, one second apart from 1700000000. */
export function pcapOf(frames: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // Ethernet
  const parts: Buffer[] = [header];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000 + i, 0);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  return Buffer.concat(parts);
}
