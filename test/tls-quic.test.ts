// The TLS handshake inside QUIC Initial packets: key derivation against RFC 9001 Appendix A.1, a
// Client Hello split into out-of-order CRYPTO frames over two packets, a Server Hello, damaged
// packets, and the Client Hellos of real Chrome captures.
//
// npm test may run this file beside another: it captures nothing live and times nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import * as path from 'node:path';
import { Pipeline } from '../src/pipeline';
import { CapturedFrame } from '../src/capture/frame';
import { CaptureFileReader } from '../src/capture/file-reader';
import { Dissection } from '../src/decode/dissection';
import { TlsAnalyzer } from '../src/tls/analyzer';
import { quic } from '../src/protocols/quic';
import { QuicAnalyzer } from '../src/protocols/quic/stage';
import { initialKeys, Keys, QUIC_V1 } from '../src/protocols/quic/initial';
import { formatField, getField } from '../src/fields';
import { corpusDir, NO_CORPUS_REASON } from './helpers/corpus';
import { alpnExt, clientHelloBody, ext, handshake, serverHelloBody, sniExt, u16, u16list, vec8, vec16 } from './helpers/tls-bytes';

test('Initial keys from the client\'s Destination Connection ID match RFC 9001 Appendix A.1', () => {
  const dcid = Buffer.from('8394c8f03e515708', 'hex');
  const c = initialKeys(QUIC_V1, dcid, false), s = initialKeys(QUIC_V1, dcid, true);
  assert.equal(c.key.toString('hex'), '1f369613dd76d5467730efcbe3b1a22d');
  assert.equal(c.iv.toString('hex'), 'fa044b2f42a3fd3b46fb255c');
  assert.equal(c.hp.toString('hex'), '9f50449e04a0e810283a1e9933adedd2');
  assert.equal(s.key.toString('hex'), 'cf3a5331653c364c88f0f379b6067e37');
  assert.equal(s.iv.toString('hex'), '0ac1493ca1905853b0bba03e');
  assert.equal(s.hp.toString('hex'), 'c206b8d9b9f0f37644430b490eeaa314');
});

// ---- building protected Initial packets (RFC 9000 §17.2.2, RFC 9001 §5.3–5.4), independently ----

function varint(v: number): Buffer {
  if (v < 64) return Buffer.from([v]);
  if (v < 16384) return Buffer.from([0x40 | (v >> 8), v & 255]);
  return Buffer.from([0x80 | (v >>> 24), (v >> 16) & 255, (v >> 8) & 255, v & 255]);
}

const cryptoFrame = (at: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([0x06]), varint(at), varint(data.length), data]);

function initialPacket(keys: Keys, dcid: Buffer, scid: Buffer, pn: number, frames: Buffer, padTo = 1200): Buffer {
  const pnLen = 2;
  const headerStart = Buffer.concat([Buffer.from([0xc0 | (pnLen - 1)]), Buffer.from([0, 0, 0, 1]), vec8(dcid), vec8(scid), varint(0)]);
  const payloadLen = Math.max(frames.length, padTo - headerStart.length - 4 - pnLen - 16);
  const plain = Buffer.concat([frames, Buffer.alloc(payloadLen - frames.length)]); // PADDING
  const n = pnLen + plain.length + 16;
  const length = Buffer.from([0x40 | (n >> 8), n & 255]); // always the 2-byte form
  const header = Buffer.concat([headerStart, length, u16(pn)]);
  const nonce = Buffer.from(keys.iv);
  nonce[11] ^= pn & 255;
  nonce[10] ^= (pn >> 8) & 255;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const sealed = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  const packet = Buffer.concat([header, sealed]);
  const pnOffset = header.length - pnLen;
  const mask = createCipheriv('aes-128-ecb', keys.hp, null).update(packet.subarray(pnOffset + 4, pnOffset + 20));
  packet[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) packet[pnOffset + i] ^= mask[1 + i];
  return packet;
}

function udpFrame(src: number, dst: number, sport: number, dport: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(14 + 20 + 8 + payload.length);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(20 + 8 + payload.length, 16);
  f[22] = 64;
  f[23] = 17;
  f.writeUInt32BE(src, 26);
  f.writeUInt32BE(dst, 30);
  f.writeUInt16BE(sport, 34);
  f.writeUInt16BE(dport, 36);
  f.writeUInt16BE(8 + payload.length, 38);
  payload.copy(f, 42);
  return f;
}

/** The QUIC stage, which removes Initial protection before TLS reads the CRYPTO frames. */
const quicStage = (): QuicAnalyzer => new QuicAnalyzer(() => quic.id, (d) => quic.layer(d));

function run(frames: Buffer[], names: string[], analyzer = new TlsAnalyzer(), quicAnalyzer = quicStage()): string[][][] {
  const defs = names.map((n) => getField(n)!);
  const rows: string[][][] = [];
  const sink = {
    frame(d: Dissection): void {
      rows.push(defs.map((f) => {
        const v: string[] = [];
        for (let i = 0, n = f.count(d); i < n; i++) v.push(formatField(f, d, i));
        return v;
      }));
    },
    end(): void {},
  };
  const p = new Pipeline({ sink, analyzers: [quicAnalyzer, analyzer] });
  const cf = new CapturedFrame();
  for (const f of frames) p.handle(cf.wrap(f, 1));
  return rows;
}

const CLIENT = 0xc0a80001, SERVER = 0xc0a80002;
const NAMES = ['tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.extensions_alpn_str', 'tls.handshake.ciphersuite',
  'tls.handshake.ja4', 'tls.record.content_type', 'tls'];

test('a Client Hello in out-of-order CRYPTO frames over two Initial packets, then the Server Hello', () => {
  const dcid = Buffer.from('8394c8f03e515708', 'hex'), scid = Buffer.from('c1c2c3c4', 'hex'), srvCid = Buffer.from('f0f1f2f3f4f5f6f7', 'hex');
  const ch = handshake(1, clientHelloBody({ exts: [sniExt('quic.example'), alpnExt(['h3']), ext(43, vec8(u16list([0x0304]))),
    ext(13, vec16(u16list([0x0403]))), ext(57, Buffer.from([1, 2, 3, 4]))] }));
  const ck = initialKeys(QUIC_V1, dcid, false), sk = initialKeys(QUIC_V1, dcid, true);
  // packet 0 carries the tail first and then a middle piece; packet 1 the head
  const a = Math.floor(ch.length / 3), b = Math.floor((2 * ch.length) / 3);
  const p0 = initialPacket(ck, dcid, scid, 0, Buffer.concat([cryptoFrame(b, ch.subarray(b)), Buffer.from([0x01]), cryptoFrame(a, ch.subarray(a, b))]));
  const p1 = initialPacket(ck, dcid, scid, 1, cryptoFrame(0, ch.subarray(0, a)));
  const sh = handshake(2, serverHelloBody({ cipher: 0x1302 }));
  // The server's Initial: an ACK, then the Server Hello; a Handshake packet coalesced after it is skipped.
  const ack = Buffer.from([0x02, 0x01, 0x00, 0x00, 0x01]);
  const p2 = Buffer.concat([initialPacket(sk, scid, srvCid, 0, Buffer.concat([ack, cryptoFrame(0, sh)]), 600), Buffer.from([0xe0, 0, 0, 0, 1, 4, 1, 2, 3, 4, 0, 5, 1, 2, 3, 4, 5])]);
  const rows = run([udpFrame(CLIENT, SERVER, 50000, 443, p0), udpFrame(CLIENT, SERVER, 50000, 443, p1), udpFrame(SERVER, CLIENT, 443, 50000, p2)], NAMES);
  // TLS reads the plaintexts the QUIC stage made, and decrypts nothing itself: without the stage, no Hello
  const withoutStage = new Pipeline({ sink: { frame(d: Dissection): void { assert.equal(getField('tls')!.count(d), 0); }, end(): void {} }, analyzers: [new TlsAnalyzer()] });
  const cf = new CapturedFrame();
  for (const f of [p0, p1, p2]) withoutStage.handle(cf.wrap(udpFrame(CLIENT, SERVER, 50000, 443, f), 1));
  assert.deepEqual(rows[0][0], [], 'the Client Hello is not complete after the first packet');
  assert.deepEqual(rows[1][0], ['1']);
  assert.deepEqual(rows[1][1], ['quic.example']);
  assert.deepEqual(rows[1][2], ['h3']);
  assert.match(rows[1][4][0], /^q13d0305h3_/);
  assert.deepEqual(rows[1][5], [], 'QUIC carries no TLS records');
  assert.deepEqual(rows[1][6], ['Transport Layer Security']);
  assert.deepEqual(rows[2][0], ['2']);
  assert.deepEqual(rows[2][3], ['0x1302']);
});

test('damaged Initial packets are skipped without a throw', () => {
  const dcid = Buffer.from('0011223344556677', 'hex');
  const ck = initialKeys(QUIC_V1, dcid, false);
  const good = initialPacket(ck, dcid, Buffer.alloc(0), 0, cryptoFrame(0, handshake(1, clientHelloBody())));
  const analyzer = new TlsAnalyzer();
  const quicAnalyzer = quicStage();
  const frames: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const bad = Buffer.from(good);
    bad[(i * 7919) % bad.length] ^= 1 << (i % 8);
    frames.push(udpFrame(CLIENT + i, SERVER, 40000 + i, 443, bad));
  }
  // lengths that lie: a CID length of 255, a packet cut short, a Length past the datagram
  const lies = [Buffer.from(good), good.subarray(0, 40), Buffer.from(good)];
  lies[0][5] = 255;
  lies[2][1 + 4 + 1 + 8 + 1 + 1] = 0x7f;
  for (const l of lies) frames.push(udpFrame(CLIENT, SERVER, 1, 443, l));
  const rows = run(frames, NAMES, analyzer, quicAnalyzer);
  const decoded = rows.filter((r) => r[0].length > 0).length;
  // A flipped bit in the header protection sample or the AEAD tag must fail the tag check; only
  // flips in bytes that are not authenticated (none here) could pass.
  assert.ok(decoded <= 2, `decoded ${decoded} damaged packets`);
  assert.ok(quicAnalyzer.undecryptable > 200, `undecryptable ${quicAnalyzer.undecryptable}`);
});

const corpus = corpusDir();
test('Chrome\'s QUIC Client Hellos in the JA4 captures', { skip: corpus === null ? NO_CORPUS_REASON : false }, () => {
  const reader = new CaptureFileReader(path.join(corpus!, 'valid/ja4/tls-sni.pcapng'));
  let seen = false;
  const p = new Pipeline({
    sink: {
      frame(d: Dissection): void {
        if (d.number !== 2) return;
        seen = true;
        const f = (n: string): string => formatField(getField(n)!, d, 0);
        assert.equal(f('tls.handshake.extensions_server_name'), 'www.google.com');
        assert.equal(f('tls.handshake.extensions_alpn_str'), 'h3');
        assert.equal(f('tls.handshake.ja4'), 'q13d0310h3_55b375c5d22e_cd85d2d88918');
      },
      end(): void {},
    },
    analyzers: [quicStage(), new TlsAnalyzer()],
  });
  const frame = new CapturedFrame();
  while (reader.next(frame)) p.handle(frame);
  reader.close();
  assert.ok(seen);
});
