// The TLS subtree of the protocol tree, laid out as Wireshark 4.0 shows it: each record with its
// header fields and contents, each handshake message with its fields, each Hello extension as a
// text node holding its type, length and contents. The layout of a frame is made on first use (the
// tree, or a filter naming one of these fields) by walking the bytes d.tls points at, every length
// checked against its container; the decode loop never builds it. Fields declared in tls.ts keep
// their values and only take their place here; the fields only the tree needs are declared here.

import { Dissection } from '../decode/dissection';
import { defineField, getField, FT, FieldDef } from './registry';
import { absoluteTimeText } from './format';
import { AppProto, MsgFlag, RecordFlag, TlsInfo } from '../tls/tls-info';
import { ContentType, REC_HEADER_LEN, TLSV1DOT2_VERSION, TLSV1DOT3_VERSION, versionShortName } from '../tls/records';
import { ALERT_DESC_NAMES, ALERT_LEVEL_NAMES, EXTENSION_NAMES, HANDSHAKE_NAMES, HandshakeType, HS_HEADER_LEN, isGrease } from '../tls/handshake';
import { X509_FIELDS, layoutCertificate, layoutName } from './tls-x509';
import { MAX_NODES, TlsLayout, tlsInstances, recordLabel, CONTENT_NAMES } from './tls-layout';
import { decryptInfoOf } from '../tls/decrypt-info';
import { PieceKind, QuicHandshakePieces } from '../tls/quic-handshake';
import { fragmentLine, fragmentsHeading } from './fragments';

let cached: TlsLayout | null = null;
let cachedFor: Dissection | null = null;
let cachedNumber = -1;
let cachedBuf: Buffer | null = null;
let cachedShape = -1;

/** The layout of the frame `d` holds, made once per frame. */
export function tlsLayout(d: Dissection): TlsLayout {
  // The frame is known by its record, number and buffer; the counts catch the same frame dissected anew.
  const shape = d.tls.recordCount * 65536 + d.tls.msgCount * 256 + d.tls.calls;
  if (cached !== null && cachedFor === d && cachedNumber === d.number && cachedBuf === d.buf && cachedShape === shape) return cached;
  const l = new TlsLayout();
  buildLayout(d, l);
  cached = l;
  cachedFor = d;
  cachedNumber = d.number;
  cachedBuf = d.buf;
  cachedShape = shape;
  return l;
}

// ---- names Wireshark gives values ----

const HASH_NAMES: Readonly<Record<number, string>> = { 0: 'None', 1: 'MD5', 2: 'SHA1', 3: 'SHA224', 4: 'SHA256', 5: 'SHA384', 6: 'SHA512', 8: 'Intrinsic' };
const SIG_ALG_NAMES: Readonly<Record<number, string>> = { 0: 'Anonymous', 1: 'RSA', 2: 'DSA', 3: 'ECDSA', 7: 'ED25519', 8: 'ED448' };
const POINT_FORMAT_NAMES: Readonly<Record<number, string>> = { 0: 'uncompressed', 1: 'ansiX962_compressed_prime', 2: 'ansiX962_compressed_char2' };
const PSK_MODE_NAMES: Readonly<Record<number, string>> = { 0: 'PSK-only key establishment (psk_ke)', 1: 'PSK with (EC)DHE key establishment (psk_dhe_ke)' };
const CERT_TYPE_NAMES: Readonly<Record<number, string>> = { 1: 'RSA Sign', 2: 'DSS Sign', 3: 'RSA Fixed DH', 4: 'DSS Fixed DH', 64: 'ECDSA Sign', 65: 'RSA Fixed ECDH', 66: 'ECDSA Fixed ECDH' };
const COMPRESS_CERT_NAMES: Readonly<Record<number, string>> = { 1: 'zlib', 2: 'brotli', 3: 'zstd' };
const HEARTBEAT_MODE_NAMES: Readonly<Record<number, string>> = { 1: 'Peer allowed to send requests', 2: 'Peer not allowed to send requests' };

function extensionName(type: number): string {
  return isGrease(type) ? 'Reserved (GREASE)' : EXTENSION_NAMES[type] ?? 'Unknown';
}

// ---- the walk ----

/** How a key exchange message is laid out, from the suite's key exchange (RFC 5246 §7.4.3, RFC 8422 §5.4). */
const enum Kx { Unknown, Rsa, Dhe, Ecdhe }

function keyExchangeOf(suite: number): Kx {
  if (suite === 0) return Kx.Unknown;
  const hi = suite >> 8;
  const lo = suite & 0xff;
  const inAny = (ranges: readonly number[]): boolean => {
    for (let i = 0; i < ranges.length; i += 2) if (lo >= ranges[i] && lo <= ranges[i + 1]) return true;
    return false;
  };
  if (hi === 0xc0) {
    // ECDH(E) with AES/SHA-2, Camellia and CCM (RFC 8422, 6367, 7251). Wireshark 4.0 knows no
    // key exchange for the ARIA suites (0xc03c–0xc071) and lays out none of their parameters.
    if (inAny([0x01, 0x19, 0x23, 0x32, 0x72, 0x79, 0x86, 0x8d, 0xac, 0xaf])) return Kx.Ecdhe;
    if (inAny([0x7a, 0x7b, 0x9c, 0x9d, 0xa0, 0xa1])) return Kx.Rsa;
    if (inAny([0x7c, 0x85, 0x9e, 0x9f, 0xa2, 0xa3])) return Kx.Dhe;
    return Kx.Unknown;
  }
  if (hi === 0xcc) {
    // ChaCha20-Poly1305 (RFC 7905): cca8/cca9 ECDHE, ccaa DHE, ccac ECDHE-PSK, ccad DHE-PSK
    if (lo === 0xa8 || lo === 0xa9) return Kx.Ecdhe;
    if (lo === 0xaa) return Kx.Dhe;
    return Kx.Unknown;
  }
  if (hi !== 0) return Kx.Unknown;
  if (inAny([0x01, 0x0a, 0x2f, 0x2f, 0x35, 0x35, 0x3b, 0x3d, 0x41, 0x41, 0x84, 0x84, 0x96, 0x96, 0x9c, 0x9d, 0xba, 0xba, 0xc0, 0xc0])) return Kx.Rsa;
  if (inAny([0x0b, 0x1b, 0x30, 0x34, 0x36, 0x3a, 0x3e, 0x40, 0x42, 0x46, 0x67, 0x6d, 0x85, 0x89, 0x97, 0x9b, 0x9e, 0xa7, 0xbb, 0xbf, 0xc1, 0xc5])) return Kx.Dhe;
  return Kx.Unknown;
}

function buildLayout(d: Dissection, l: TlsLayout): void {
  const t = d.tls;
  const instances = tlsInstances(t);
  for (let r = 0; r < t.recordCount; r++) {
    l.instance = Math.min(t.recordCall[r], instances - 1);
    record(d, t, r, l);
  }
  const quic = QuicHandshakePieces.of(d);
  if (quic !== null) quicPieces(t, quic, l);
  l.instance = 0;
}

/** What each TLS call over QUIC CRYPTO data showed, in its own subtree (src/tls/quic-handshake.ts). */
function quicPieces(t: TlsInfo, p: QuicHandshakePieces, l: TlsLayout): void {
  for (let k = 0; k < p.count; k++) {
    l.instance = p.call[k];
    const name = HANDSHAKE_NAMES[p.type[k]] ?? 'Encrypted Handshake Message';
    switch (p.kind[k] as PieceKind) {
      case PieceKind.Encrypted:
        l.add('tls.handshake', -1, p.buf[k], p.off[k], p.len[k], 0, 'Handshake Protocol: Encrypted Handshake Message');
        break;
      case PieceKind.Fragment:
        l.add('tls.handshake', -1, p.buf[k], p.off[k], p.len[k], 0, `Handshake Protocol: ${name} (fragment)`);
        break;
      case PieceKind.LastFragment: {
        l.add('tls.handshake', -1, p.buf[k], p.off[k], p.len[k], 0, `Handshake Protocol: ${name} (last fragment)`);
        const m = p.msg[k];
        const total = m >= 0 ? HS_HEADER_LEN + t.msgLen[m] : 0;
        const list = l.add('tls.handshake.fragments', -1, m >= 0 ? t.msgBuf[m] : p.buf[k], m >= 0 ? t.msgOff[m] : p.off[k], total, 0,
          fragmentsHeading(p.fragTotal[k], 'Reassembled Handshake Fragments', total, p.fragFrame, p.fragLen, p.fragFirst[k], p.fragCount[k]));
        let at = 0;
        for (let f = p.fragFirst[k]; f < p.fragFirst[k] + p.fragCount[k]; f++) {
          const n = p.fragLen[f];
          l.add('tls.handshake.fragment', list, m >= 0 ? t.msgBuf[m] : p.buf[k], (m >= 0 ? t.msgOff[m] : 0) + at, n, p.fragFrame[f], fragmentLine(p.fragFrame[f], at, n));
          at += n;
        }
        l.add('tls.handshake.fragment.count', list, p.buf[k], p.off[k], 0, p.fragTotal[k]);
        if (m >= 0) message(t, m, -1, l);
        break;
      }
      case PieceKind.Message:
        if (p.msg[k] >= 0) message(t, p.msg[k], -1, l);
        break;
    }
  }
}

/**
 * The record's piece that completed message m, reassembled from several records: tshark's
 * `Certificate (last fragment)` and the list of the fragments, before the message itself.
 */
function lastFragment(t: TlsInfo, m: number, rec: number, buf: Buffer, body: number, l: TlsLayout): void {
  const first = t.msgFragFirst[m], shown = t.msgFragShown[m];
  const total = HS_HEADER_LEN + t.msgLen[m];
  l.add('tls.handshake', rec, buf, body, t.fragLen[first + shown - 1], 0, `Handshake Protocol: ${HANDSHAKE_NAMES[t.msgType[m]] ?? 'Encrypted Handshake Message'} (last fragment)`);
  const list = l.add('tls.handshake.fragments', rec, t.msgBuf[m], t.msgOff[m], total, 0,
    fragmentsHeading(t.msgFragTotal[m], 'Reassembled Handshake Fragments', total, t.fragFrame, t.fragLen, first, shown));
  let at = 0;
  for (let f = first; f < first + shown; f++) {
    const n = t.fragLen[f];
    l.add('tls.handshake.fragment', list, t.msgBuf[m], t.msgOff[m] + at, n, t.fragFrame[f], fragmentLine(t.fragFrame[f], at, n));
    at += n;
  }
  l.add('tls.handshake.fragment.count', list, buf, body, 0, t.msgFragTotal[m]);
}

function record(d: Dissection, t: TlsInfo, r: number, l: TlsLayout): void {
  const buf = t.recordBuf[r];
  const off = t.recordOff[r];
  const flags = t.recordFlags[r];
  if (flags & RecordFlag.Sslv2) {
    const rec = l.add('tls.record', -1, buf, off, Math.min(buf.length - off, 2 + t.length[r]), 0, recordLabel(t, r));
    if ((flags & RecordFlag.Sslv2NoLength) === 0) l.add('tls.record.length', rec, buf, off, 2, t.length[r]);
    for (let m = 0; m < t.msgCount; m++) {
      if (t.msgRecord[m] !== r || (t.msgFlags[m] & MsgFlag.Sslv2) === 0) continue;
      l.add('tls.handshake.type', rec, t.msgBuf[m], t.msgOff[m], 1, t.msgType[m]);
    }
    l.add('tls.record.version', rec, buf, off, 0, t.version[r]);
    return;
  }
  const body = off + REC_HEADER_LEN;
  const end = Math.min(buf.length, body + t.length[r]);
  let label = recordLabel(t, r);
  const rec = l.add('tls.record', -1, buf, off, end - off, 0, label);
  const opaque = (flags & RecordFlag.Opaque) !== 0;
  l.add(opaque ? 'tls.record.opaque_type' : 'tls.record.content_type', rec, buf, off, 1, t.contentType[r]);
  l.add('tls.record.version', rec, buf, off + 1, 2, t.version[r]);
  l.add('tls.record.length', rec, buf, off + 3, 2, t.length[r]);
  let type = t.contentType[r];
  if (opaque) {
    // With a key log, a TLS 1.3 record shows its inner content type and what it carried.
    const inner = innerContentType(d, r);
    if (inner < 0) {
      appData(d, t, r, rec, buf, body, end, l);
      return;
    }
    l.add('tls.record.content_type', rec, buf, off, 0, inner);
    type = inner;
    label = `${versionShortName(t.shownVersion[r]) ?? 'SSL'} Record Layer: ${CONTENT_NAMES[inner] ?? 'Unknown'}`;
    l.text[rec] = label;
  }
  switch (type) {
    case ContentType.Handshake: {
      const names: string[] = [];
      for (let m = 0; m < t.msgCount; m++) {
        if (t.msgRecord[m] !== r || (t.msgFlags[m] & (MsgFlag.Quic | MsgFlag.Sslv2)) !== 0) continue;
        if ((t.msgFlags[m] & MsgFlag.Reassembled) !== 0 && t.msgFragShown[m] > 0) lastFragment(t, m, rec, buf, body, l);
        names.push(message(t, m, rec, l));
      }
      const fragType = t.recordFragmentType[r];
      if (fragType >= 0) {
        const name = `${HANDSHAKE_NAMES[fragType] ?? 'Encrypted Handshake Message'} (fragment)`;
        const at = t.recordFragmentOff[r];
        l.add('tls.handshake', rec, buf, at, end - at, 0, `Handshake Protocol: ${name}`);
        names.push(name);
      }
      if (names.length === 0) {
        l.add('tls.handshake', rec, buf, body, end - body, 0, 'Handshake Protocol: Encrypted Handshake Message');
        names.push('Encrypted Handshake Message');
      }
      // tshark names a record by its one handshake item; from a second item on, "Multiple Handshake Messages"
      label += ': ' + (names.length > 1 ? 'Multiple Handshake Messages' : names[0]);
      l.text[rec] = label;
      return;
    }
    case ContentType.ChangeCipherSpec:
      l.add('tls.change_cipher_spec', rec, buf, body, Math.min(1, end - body), 0, 'Change Cipher Spec Message');
      return;
    case ContentType.Alert: {
      const info = decryptInfoOf(d);
      const decrypted = info.decrypted(r) ? info.plain[r] : null;
      const plain = decrypted !== null ? decrypted.length >= 2 : t.length[r] === 2 || (flags & RecordFlag.PlainAlert) !== 0;
      // Named as tshark names it: by the level and description it read, else as encrypted.
      const named = `${versionShortName(t.shownVersion[r]) ?? 'SSL'} Record Layer: `;
      if (decrypted !== null && plain) {
        const a = l.add('tls.alert_message', rec, decrypted, 0, 2, 0, 'Alert Message');
        l.add('tls.alert_message.level', a, decrypted, 0, 1, decrypted[0]);
        l.add('tls.alert_message.desc', a, decrypted, 1, 1, decrypted[1]);
        l.text[rec] = named + alertText(decrypted[0], decrypted[1]);
      } else if (plain && end - body >= 2) {
        const a = l.add('tls.alert_message', rec, buf, body, 2, 0, 'Alert Message');
        l.add('tls.alert_message.level', a, buf, body, 1, buf[body]);
        l.add('tls.alert_message.desc', a, buf, body + 1, 1, buf[body + 1]);
        l.text[rec] = named + alertText(buf[body], buf[body + 1]);
      } else {
        l.add('tls.alert_message', rec, buf, body, end - body, 0, 'Alert Message: Encrypted Alert');
        l.text[rec] = named + 'Encrypted Alert';
      }
      return;
    }
    case ContentType.ApplicationData:
      appData(d, t, r, rec, buf, body, end, l);
      return;
    default:
      return;
  }
}

function alertText(level: number, desc: number): string {
  return `Alert (Level: ${ALERT_LEVEL_NAMES[level] ?? 'Unknown'}, Description: ${ALERT_DESC_NAMES[desc] ?? 'Unknown'})`;
}

const APP_PROTO_NAMES = ['', 'Hypertext Transfer Protocol', 'HyperText Transfer Protocol 2'];

/** Application data, and the protocol it is for when the conversation says (port 443, ALPN, what decryption found). */
function appData(d: Dissection, t: TlsInfo, r: number, rec: number, buf: Buffer, body: number, end: number, l: TlsLayout): void {
  l.add('tls.app_data', rec, buf, body, end - body);
  // Decrypted, the data names the protocol it was found to carry (ALPN of TLS 1.3 is encrypted too).
  const info = decryptInfoOf(d);
  const proto = info.decrypted(r) && info.appProto !== AppProto.None ? info.appProto : t.appProto;
  if (proto !== AppProto.None) {
    l.add('tls.app_data_proto', rec, buf, body - REC_HEADER_LEN, 0, 0, APP_PROTO_NAMES[proto]);
    // tshark names the record by the protocol its data is for, once it knows it.
    l.text[rec] = `${versionShortName(t.shownVersion[r]) ?? 'SSL'} Record Layer: Application Data Protocol: ${APP_PROTO_NAMES[proto]}`;
  }
}

/** The inner content type of TLS 1.3 record r when a key log decrypted it, else -1. */
function innerContentType(d: Dissection, r: number): number {
  const info = decryptInfoOf(d);
  return info.decrypted(r) ? info.innerType[r] : -1;
}

/** tls.record.content_type occurrences: every plain record's type, then (in record order) decrypted TLS 1.3 records' inner type. */
function contentTypeAt(d: Dissection, i: number): number {
  const t = d.tls;
  for (let r = 0; r < t.recordCount; r++) {
    if ((t.recordFlags[r] & RecordFlag.Sslv2) !== 0) continue;
    const v = (t.recordFlags[r] & RecordFlag.Opaque) === 0 ? t.contentType[r] : innerContentType(d, r);
    if (v < 0) continue;
    if (i-- === 0) return v;
  }
  return -1;
}

function messageName(t: TlsInfo, m: number): string {
  if (t.msgFlags[m] & MsgFlag.HelloRetryRequest) return 'Hello Retry Request';
  return HANDSHAKE_NAMES[t.msgType[m]] ?? 'Unknown';
}

/** The nodes of handshake message m under `parent`; returns its name for the record's heading. */
function message(t: TlsInfo, m: number, parent: number, l: TlsLayout): string {
  const buf = t.msgBuf[m];
  const off = t.msgOff[m];
  const end = Math.min(buf.length, off + HS_HEADER_LEN + t.msgLen[m]);
  const name = messageName(t, m);
  const hs = l.add('tls.handshake', parent, buf, off, end - off, 0, `Handshake Protocol: ${name}`);
  l.add('tls.handshake.type', hs, buf, off, 1, t.msgType[m]);
  if (end - off < HS_HEADER_LEN) return name;
  l.add('tls.handshake.length', hs, buf, off + 1, 3, t.msgLen[m]);
  const c = new Cursor(l, buf, off + HS_HEADER_LEN, end);
  const tls13 = t.msgSessionVersion[m] === TLSV1DOT3_VERSION;
  switch (t.msgType[m]) {
    case HandshakeType.ClientHello: hello(c, hs, true, tls13); break;
    case HandshakeType.ServerHello: hello(c, hs, false, tls13); break;
    case HandshakeType.Certificate: certificate(c, hs, tls13); break;
    case HandshakeType.ServerKeyExchange: serverKeyExchange(c, hs, keyExchangeOf(t.suite), t.msgSessionVersion[m] >= TLSV1DOT2_VERSION); break;
    case HandshakeType.ClientKeyExchange: clientKeyExchange(c, hs, keyExchangeOf(t.suite)); break;
    case HandshakeType.CertificateRequest: if (!tls13) certificateRequest(c, hs, t.msgSessionVersion[m] >= TLSV1DOT2_VERSION); break;
    case HandshakeType.CertificateVerify: certificateVerify(c, hs, t.msgSessionVersion[m] >= TLSV1DOT2_VERSION); break;
    case HandshakeType.NewSessionTicket: sessionTicket(c, hs, tls13); break;
    case HandshakeType.EncryptedExtensions: extensions(c, hs, false); break;
    case HandshakeType.Finished: c.item('tls.handshake.verify_data', hs, c.end - c.p, 0, 'Verify Data'); break;
    case HandshakeType.CertificateStatus: certificateStatus(c, hs); break;
    default: break;
  }
  return name;
}

/** A reader over [p, end) of one structure that adds nodes as it goes; every read checks its length first. */
class Cursor {
  constructor(readonly l: TlsLayout, readonly buf: Buffer, public p: number, public end: number) {}
  left(): number { return this.end - this.p; }
  has(n: number): boolean { return n >= 0 && this.end - this.p >= n; }
  u8(): number { return this.buf[this.p]; }
  u16(): number { return this.buf.readUInt16BE(this.p); }
  u24(): number { return this.buf.readUIntBE(this.p, 3); }
  /** A `width`-byte number as node `name`; -1 when it does not fit. */
  num(name: string, parent: number, width: 1 | 2 | 3 | 4): number {
    if (!this.has(width)) return -1;
    const v = this.buf.readUIntBE(this.p, width);
    this.l.add(name, parent, this.buf, this.p, width, v);
    this.p += width;
    return v;
  }
  /** `len` bytes as node `name` (skipped past); the node index, -1 when they do not fit. */
  item(name: string, parent: number, len: number, num = 0, text = ''): number {
    if (!this.has(len)) return -1;
    const k = this.l.add(name, parent, this.buf, this.p, len, num, text);
    this.p += len;
    return k;
  }
  /** A node over the next `len` bytes without moving past them (a structure whose parts follow). */
  open(name: string, parent: number, len: number, text = ''): number {
    if (!this.has(len)) return -1;
    return this.l.add(name, parent, this.buf, this.p, len, 0, text);
  }
  sub(len: number): Cursor { return new Cursor(this.l, this.buf, this.p, this.p + Math.max(0, Math.min(len, this.left()))); }
}

function plural(n: number, one: string, many: string): string { return `${n} ${n === 1 ? one : many}`; }

function hello(c: Cursor, hs: number, client: boolean, tls13: boolean): void {
  const l = c.l;
  if (c.num('tls.handshake.version', hs, 2) < 0) return;
  if (!c.has(32)) return;
  const rnd = c.open('tls.handshake.random', hs, 32);
  if (!tls13) {
    l.add('tls.handshake.random_time', rnd, c.buf, c.p, 4, c.buf.readUInt32BE(c.p));
    l.add('tls.handshake.random_bytes', rnd, c.buf, c.p + 4, 28);
  }
  c.p += 32;
  const sid = c.num('tls.handshake.session_id_length', hs, 1);
  if (sid < 0) return;
  if (sid > 0 && c.item('tls.handshake.session_id', hs, sid) < 0) return;
  if (client) {
    const cs = c.num('tls.handshake.cipher_suites_length', hs, 2);
    if (cs < 0 || !c.has(cs)) return;
    const list = c.open('tls.handshake.ciphersuites', hs, cs, `Cipher Suites (${plural(cs >> 1, 'suite', 'suites')})`);
    const s = c.sub(cs);
    while (s.num('tls.handshake.ciphersuite', list, 2) >= 0);
    c.p += cs;
    const cm = c.num('tls.handshake.comp_methods_length', hs, 1);
    if (cm < 0 || !c.has(cm)) return;
    const methods = c.open('tls.handshake.comp_methods', hs, cm, `Compression Methods (${plural(cm, 'method', 'methods')})`);
    const s2 = c.sub(cm);
    while (s2.num('tls.handshake.comp_method', methods, 1) >= 0);
    c.p += cm;
  } else {
    if (c.num('tls.handshake.ciphersuite', hs, 2) < 0) return;
    if (c.num('tls.handshake.comp_method', hs, 1) < 0) return;
  }
  // The fingerprints stand after the extensions, as zero-length items where they begin.
  const fpAt = c.p;
  if (c.has(2)) extensions(c, hs, client);
  const names = client ? ['tls.handshake.ja3_full', 'tls.handshake.ja3', 'tls.handshake.ja4', 'tls.handshake.ja4_r', 'tls.handshake.ja4_o', 'tls.handshake.ja4_ro']
    : ['tls.handshake.ja3s_full', 'tls.handshake.ja3s'];
  for (const name of names) l.add(name, hs, c.buf, fpAt, 0);
}

/** An extensions block: its length, then each extension as a text node with its type, length and contents. */
function extensions(c: Cursor, hs: number, client: boolean): void {
  const extLen = c.num('tls.handshake.extensions_length', hs, 2);
  if (extLen < 0) return;
  const e = c.sub(extLen);
  while (e.has(4)) {
    const type = e.u16();
    const len = e.buf.readUInt16BE(e.p + 2);
    if (!e.has(4 + len)) break;
    const ext = e.open('_text.tls.extension', hs, 4 + len, `Extension: ${extensionName(type)} (len=${len})`);
    e.num('tls.handshake.extension.type', ext, 2);
    e.num('tls.handshake.extension.len', ext, 2);
    extension(e.sub(len), ext, type, client);
    e.p += len;
  }
  c.p = e.end;
}

function extension(c: Cursor, ext: number, type: number, client: boolean): void {
  const l = c.l;
  const len = c.left();
  switch (type) {
    case 0: { // server_name
      if (len === 0) return;
      const sni = c.open('_text.tls.extension', ext, len, 'Server Name Indication extension');
      const listLen = c.num('tls.handshake.extensions_server_name_list_len', sni, 2);
      const s = c.sub(listLen);
      while (s.has(3)) {
        s.num('tls.handshake.extensions_server_name_type', sni, 1);
        const n = s.num('tls.handshake.extensions_server_name_len', sni, 2);
        if (s.item('tls.handshake.extensions_server_name', sni, n) < 0) break;
      }
      return;
    }
    case 5: { // status_request
      if (len === 0 || !client) return;
      c.num('tls.handshake.extensions_status_request_type', ext, 1);
      const ids = c.num('tls.handshake.extensions_status_request_responder_ids_len', ext, 2);
      if (ids < 0 || !c.has(ids)) return;
      c.p += ids;
      const exts = c.num('tls.handshake.extensions_status_request_exts_len', ext, 2);
      if (exts > 0) c.p += Math.min(exts, c.left());
      return;
    }
    case 10: { // supported_groups
      const n = c.num('tls.handshake.extensions_supported_groups_length', ext, 2);
      if (n < 0 || !c.has(n)) return;
      const list = c.open('tls.handshake.extensions_supported_groups', ext, n, `Supported Groups (${plural(n >> 1, 'group', 'groups')})`);
      const s = c.sub(n);
      while (s.num('tls.handshake.extensions_supported_group', list, 2) >= 0);
      return;
    }
    case 11: { // ec_point_formats
      const n = c.num('tls.handshake.extensions_ec_point_formats_length', ext, 1);
      if (n < 0 || !c.has(n)) return;
      const list = c.open('tls.handshake.extensions_ec_point_formats', ext, n, `Elliptic curves point formats (${n})`);
      const s = c.sub(n);
      while (s.num('tls.handshake.extensions_ec_point_format', list, 1) >= 0);
      return;
    }
    case 13: case 34: case 50: // signature_algorithms, delegated_credentials, signature_algorithms_cert
      signatureAlgorithms(c, ext);
      return;
    case 16: case 17513: { // ALPN, application_settings
      const alps = type === 17513;
      const n = c.num(alps ? 'tls.handshake.extensions_alps_len' : 'tls.handshake.extensions_alpn_len', ext, 2);
      if (n < 0 || !c.has(n)) return;
      const list = c.open(alps ? 'tls.handshake.extensions_alps_alpn_list' : 'tls.handshake.extensions_alpn_list', ext, n, alps ? 'Supported ALPN List' : 'ALPN Protocol');
      const s = c.sub(n);
      while (s.has(1)) {
        const k = s.num(alps ? 'tls.handshake.extensions_alps_alpn_str_len' : 'tls.handshake.extensions_alpn_str_len', list, 1);
        if (s.item(alps ? 'tls.handshake.extensions_alps_alpn_str' : 'tls.handshake.extensions_alpn_str', list, k) < 0) break;
      }
      return;
    }
    case 15: // heartbeat
      c.num('tls.handshake.extension.heartbeat.mode', ext, 1);
      return;
    case 21: // padding
      c.item('tls.handshake.extensions_padding_data', ext, len);
      return;
    case 27: { // compress_certificate
      const n = c.num('tls.compress_certificate.algorithms_length', ext, 1);
      if (n < 0 || !c.has(n)) return;
      const s = c.sub(n);
      while (s.num('tls.compress_certificate.algorithm', ext, 2) >= 0);
      return;
    }
    case 28: // record_size_limit
      c.num('tls.record_size_limit', ext, 2);
      return;
    case 41: { // pre_shared_key
      const psk = c.open('_text.tls.extension', ext, len, 'Pre-Shared Key extension');
      if (!client) {
        c.num('tls.handshake.extensions.psk.identity.selected', psk, 2);
        return;
      }
      const idsLen = c.num('tls.handshake.extensions.psk.identities.length', psk, 2);
      const s = c.sub(idsLen);
      while (s.has(2)) {
        const n = s.u16();
        if (!s.has(2 + n + 4)) break;
        const id = s.open('_text.tls.extension', psk, 2 + n + 4, `PSK Identity (length: ${n})`);
        s.num('tls.handshake.extensions.psk.identity.identity_length', id, 2);
        s.item('tls.handshake.extensions.psk.identity.identity', id, n);
        s.num('tls.handshake.extensions.psk.identity.obfuscated_ticket_age', id, 4);
      }
      c.p = s.end;
      const bl = c.num('tls.handshake.extensions.psk.binders_len', psk, 2);
      if (bl >= 0) c.item('tls.handshake.extensions.psk.binders', psk, Math.min(bl, c.left()), 0, 'PSK Binders');
      return;
    }
    case 43: { // supported_versions
      if (!client) {
        c.num('tls.handshake.extensions.supported_version', ext, 2);
        return;
      }
      const n = c.num('tls.handshake.extensions.supported_versions_len', ext, 1);
      const s = c.sub(n);
      while (s.num('tls.handshake.extensions.supported_version', ext, 2) >= 0);
      return;
    }
    case 45: { // psk_key_exchange_modes
      const n = c.num('tls.extension.psk_ke_modes_length', ext, 1);
      const s = c.sub(n);
      while (s.num('tls.extension.psk_ke_mode', ext, 1) >= 0);
      return;
    }
    case 51: { // key_share
      const ks = c.open('_text.tls.extension', ext, len, 'Key Share extension');
      if (client) {
        const n = c.num('tls.handshake.extensions_key_share_client_length', ks, 2);
        const s = c.sub(n);
        while (s.has(4) && keyShareEntry(s, ks));
      } else if (len === 2) {
        c.num('tls.handshake.extensions_key_share_selected_group', ks, 2);
      } else {
        keyShareEntry(c, ks);
      }
      return;
    }
    case 65281: { // renegotiation_info
      const ri = c.open('_text.tls.extension', ext, len, 'Renegotiation Info extension');
      const n = c.num('tls.handshake.extensions_reneg_info_len', ri, 1);
      if (n > 0) c.item('tls.handshake.extensions_reneg_info', ri, n);
      return;
    }
    case 22: case 23: case 18: case 49: case 13172: // nothing inside
      return;
    case 42: // early_data (RFC 8446 §4.2.10): empty, but in a New Session Ticket the most the server takes
      if (len >= 4) c.num('tls.early_data.max_early_data_size', ext, 4);
      return;
    case 57: // quic_transport_parameters
      quicParameters(c, ext);
      return;
    default:
      // session_ticket and extensions Wireshark does not decode: their bytes as data
      l.add('tls.handshake.extension.data', ext, c.buf, c.p, len, 0, `Data (${plural(len, 'byte', 'bytes')})`);
  }
}

function keyShareEntry(c: Cursor, parent: number): boolean {
  if (!c.has(4)) return false;
  const group = c.u16();
  const n = c.buf.readUInt16BE(c.p + 2);
  if (!c.has(4 + n)) return false;
  const name = GROUP_NAMES[group] ?? (isGrease(group) ? 'Reserved (GREASE)' : 'Unknown');
  const e = c.open('_text.tls.extension', parent, 4 + n, `Key Share Entry: Group: ${name}, Key Exchange length: ${n}`);
  c.num('tls.handshake.extensions_key_share_group', e, 2);
  c.num('tls.handshake.extensions_key_share_key_exchange_length', e, 2);
  c.item('tls.handshake.extensions_key_share_key_exchange', e, n);
  return true;
}

/** Names of the groups in key share entries' headings (IANA TLS Supported Groups). */
const GROUP_NAMES: Readonly<Record<number, string>> = {
  0x0017: 'secp256r1', 0x0018: 'secp384r1', 0x0019: 'secp521r1', 0x001d: 'x25519', 0x001e: 'x448', 0x0100: 'ffdhe2048',
  0x0101: 'ffdhe3072', 0x0102: 'ffdhe4096', 0x6399: 'X25519Kyber768Draft00', 0x11ec: 'X25519MLKEM768',
};

function signatureAlgorithms(c: Cursor, parent: number): void {
  const n = c.num('tls.handshake.sig_hash_alg_len', parent, 2);
  if (n < 0 || !c.has(n)) return;
  const list = c.open('tls.handshake.sig_hash_algs', parent, n, `Signature Hash Algorithms (${plural(n >> 1, 'algorithm', 'algorithms')})`);
  const s = c.sub(n);
  while (sigHashAlg(s, list));
  c.p += n;
}

function sigHashAlg(c: Cursor, parent: number): boolean {
  if (!c.has(2)) return false;
  const alg = c.item('tls.handshake.sig_hash_alg', parent, 2, c.u16());
  c.l.add('tls.handshake.sig_hash_hash', alg, c.buf, c.p - 2, 1, c.buf[c.p - 2]);
  c.l.add('tls.handshake.sig_hash_sig', alg, c.buf, c.p - 1, 1, c.buf[c.p - 1]);
  return true;
}

/** QUIC transport parameters (RFC 9000 §18): id and length as variable-length integers, then the value. */
function quicParameters(c: Cursor, parent: number): void {
  while (c.has(2)) {
    const start = c.p;
    const idLen = varintLen(c);
    if (!c.has(idLen)) return;
    const id = varint(c.buf, c.p, idLen);
    const lenLen = c.has(idLen + 1) ? 1 << (c.buf[c.p + idLen] >> 6) : 0;
    if (lenLen === 0 || !c.has(idLen + lenLen)) return;
    const len = varint(c.buf, c.p + idLen, lenLen);
    if (!c.has(idLen + lenLen + len)) return;
    const known = QUIC_PARAMS[id];
    const name = known !== undefined ? known[0] : isQuicGrease(id) ? 'GREASE' : `Unknown 0x${id.toString(16)}`;
    const param = c.open('_text.tls.extension', parent, idLen + lenLen + len, `Parameter: ${name} (len=${len})`);
    c.l.add('tls.quic.parameter.type', param, c.buf, c.p, idLen, id);
    c.l.add('tls.quic.parameter.length', param, c.buf, c.p + idLen, lenLen, len);
    const at = c.p + idLen + lenLen;
    c.l.add('tls.quic.parameter.value', param, c.buf, at, len);
    if (known !== undefined && known[1] !== '') {
      const field = `tls.quic.parameter.${known[1]}`;
      const kind = QUIC_PARAM_KINDS[known[1]] ?? 'varint';
      if (kind === 'bytes') c.l.add(field, param, c.buf, at, len);
      else if (kind === 'u32' && len >= 4) c.l.add(field, param, c.buf, at, 4, c.buf.readUInt32BE(at));
      else if (kind === 'varint' && len > 0 && (1 << (c.buf[at] >> 6)) <= len) c.l.add(field, param, c.buf, at, 1 << (c.buf[at] >> 6), varint(c.buf, at, 1 << (c.buf[at] >> 6)));
    }
    c.p = start + idLen + lenLen + len;
  }
}

/** Length of the QUIC variable-length integer at the cursor (RFC 9000 §16). */
function varintLen(c: Cursor): number {
  return 1 << (c.buf[c.p] >> 6);
}

function varint(buf: Buffer, off: number, len: number): number {
  let v = buf[off] & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + buf[off + i];
  return v;
}

/** Reserved parameter ids 31 * N + 27 (RFC 9000 §18.1). */
function isQuicGrease(id: number): boolean {
  return id >= 27 && (id - 27) % 31 === 0;
}

/** Transport parameter ids: their name and the field Wireshark decodes the value into ('' none). */
const QUIC_PARAMS: Readonly<Record<number, [string, string]>> = {
  0x00: ['original_destination_connection_id', 'original_destination_connection_id'], 0x01: ['max_idle_timeout', 'max_idle_timeout'],
  0x02: ['stateless_reset_token', 'stateless_reset_token'], 0x03: ['max_udp_payload_size', 'max_udp_payload_size'],
  0x04: ['initial_max_data', 'initial_max_data'], 0x05: ['initial_max_stream_data_bidi_local', 'initial_max_stream_data_bidi_local'],
  0x06: ['initial_max_stream_data_bidi_remote', 'initial_max_stream_data_bidi_remote'], 0x07: ['initial_max_stream_data_uni', 'initial_max_stream_data_uni'],
  0x08: ['initial_max_streams_bidi', 'initial_max_streams_bidi'], 0x09: ['initial_max_streams_uni', 'initial_max_streams_uni'],
  0x0a: ['ack_delay_exponent', 'ack_delay_exponent'], 0x0b: ['max_ack_delay', 'max_ack_delay'], 0x0c: ['disable_active_migration', ''],
  0x0d: ['preferred_address', ''], 0x0e: ['active_connection_id_limit', 'active_connection_id_limit'],
  0x0f: ['initial_source_connection_id', 'initial_source_connection_id'], 0x10: ['retry_source_connection_id', 'retry_source_connection_id'],
  0x20: ['max_datagram_frame_size', 'max_datagram_frame_size'], 0x3127: ['google_initial_rtt', 'google.initial_rtt'],
  0x3128: ['google_connection_options', 'google.connection_options'], 0x4752: ['google_quic_version', 'google.quic_version'],
};
const QUIC_PARAM_KINDS: Readonly<Record<string, 'bytes' | 'u32' | 'varint'>> = {
  original_destination_connection_id: 'bytes', stateless_reset_token: 'bytes', initial_source_connection_id: 'bytes',
  retry_source_connection_id: 'bytes', 'google.connection_options': 'bytes', 'google.quic_version': 'u32',
};

function certificate(c: Cursor, hs: number, tls13: boolean): void {
  if (tls13) {
    const ctx = c.num('tls.handshake.certificate_request_context_length', hs, 1);
    if (ctx > 0) c.item('tls.handshake.certificate_request_context', hs, ctx);
  }
  const total = c.num('tls.handshake.certificates_length', hs, 3);
  if (total < 0 || !c.has(total)) return;
  const list = c.open('tls.handshake.certificates', hs, total, `Certificates (${total} bytes)`);
  const s = c.sub(total);
  while (s.has(3)) {
    const n = s.num('tls.handshake.certificate_length', list, 3);
    if (!s.has(n)) break;
    const cert = s.open('tls.handshake.certificate', list, n);
    layoutCertificate(s.l, cert, s.buf, s.p, n);
    s.l.add('tls.handshake.certificate.subject_cn', cert, s.buf, s.p, 0);
    s.l.add('tls.handshake.certificate.issuer_cn', cert, s.buf, s.p, 0);
    s.p += n;
    if (tls13) {
      const el = s.num('tls.handshake.extensions_length', list, 2);
      if (el < 0 || !s.has(el)) break;
      s.p += el;
    }
  }
}

function signature(c: Cursor, parent: number, withAlg: boolean, lenName = 'tls.handshake.sig_len', sigName = 'tls.handshake.sig'): void {
  if (withAlg && !sigHashAlg(c, parent)) return;
  const n = c.num(lenName, parent, 2);
  if (n >= 0) c.item(sigName, parent, Math.min(n, c.left()));
}

function serverKeyExchange(c: Cursor, hs: number, kx: Kx, tls12: boolean): void {
  const len = c.left();
  // Without a known suite Wireshark does not lay out the parameters, and neither does tcpwatch.
  if (kx === Kx.Unknown || kx === Kx.Rsa) return;
  if (kx === Kx.Ecdhe) {
    const p = c.open('_text.tls.kx', hs, len, 'EC Diffie-Hellman Server Params');
    if (c.num('tls.handshake.server_curve_type', p, 1) !== 3) return;
    c.num('tls.handshake.server_named_curve', p, 2);
    const n = c.num('tls.handshake.server_point_len', p, 1);
    if (n < 0 || c.item('tls.handshake.server_point', p, n) < 0) return;
    if (c.left() > 0) signature(c, p, tls12);
    return;
  }
  const p = c.open('_text.tls.kx', hs, len, 'Diffie-Hellman Server Params');
  for (const [lenName, name] of [['tls.handshake.p_len', 'tls.handshake.p'], ['tls.handshake.g_len', 'tls.handshake.g'], ['tls.handshake.ys_len', 'tls.handshake.ys']]) {
    const n = c.num(lenName, p, 2);
    if (n < 0 || c.item(name, p, n) < 0) return;
  }
  if (c.left() > 0) signature(c, p, tls12);
}

function clientKeyExchange(c: Cursor, hs: number, kx: Kx): void {
  const len = c.left();
  if (kx === Kx.Unknown) return;
  if (kx === Kx.Ecdhe) {
    const p = c.open('_text.tls.kx', hs, len, 'EC Diffie-Hellman Client Params');
    const n = c.num('tls.handshake.client_point_len', p, 1);
    if (n >= 0) c.item('tls.handshake.client_point', p, n);
    return;
  }
  if (kx === Kx.Dhe) {
    const p = c.open('_text.tls.kx', hs, len, 'Diffie-Hellman Client Params');
    const n = c.num('tls.handshake.yc_len', p, 2);
    if (n >= 0) c.item('tls.handshake.yc', p, n);
    return;
  }
  const p = c.open('_text.tls.kx', hs, len, 'RSA Encrypted PreMaster Secret');
  const n = c.num('tls.handshake.epms_len', p, 2);
  if (n >= 0) c.item('tls.handshake.epms', p, n);
}

function certificateRequest(c: Cursor, hs: number, tls12: boolean): void {
  const n = c.num('tls.handshake.cert_types_count', hs, 1);
  if (n < 0 || !c.has(n)) return;
  const types = c.open('tls.handshake.cert_types', hs, n, `Certificate types (${plural(n, 'type', 'types')})`);
  const s = c.sub(n);
  while (s.num('tls.handshake.cert_type', types, 1) >= 0);
  c.p += n;
  if (tls12) signatureAlgorithms(c, hs);
  const dl = c.num('tls.handshake.dnames_len', hs, 2);
  if (dl <= 0 || !c.has(dl)) return;
  const names = c.open('tls.handshake.dnames', hs, dl, `Distinguished Names (${dl} bytes)`);
  const s2 = c.sub(dl);
  while (s2.has(2)) {
    const k = s2.num('tls.handshake.dname_len', names, 2);
    if (!s2.has(k)) break;
    if (!s2.has(k)) break;
    layoutName(s2.l, names, s2.buf, s2.p, k, 'tls.handshake.dname', 'Distinguished Name');
    s2.p += k;
  }
}

function certificateVerify(c: Cursor, hs: number, tls12: boolean): void {
  signature(c, hs, tls12, 'tls.handshake.client_cert_vrfy.sig_len', 'tls.handshake.client_cert_vrfy.sig');
}

function sessionTicket(c: Cursor, hs: number, tls13: boolean): void {
  const p = c.open('_text.tls.kx', hs, c.left(), 'TLS Session Ticket');
  c.num('tls.handshake.session_ticket_lifetime_hint', p, 4);
  if (tls13) {
    // RFC 8446 §4.6.1: ticket_age_add, ticket_nonce<0..255>, ticket<1..2^16-1>, extensions
    c.num('tls.handshake.session_ticket_age_add', p, 4);
    const nl = c.num('tls.handshake.session_ticket_nonce_length', p, 1);
    if (nl < 0 || c.item('tls.handshake.session_ticket_nonce', p, nl) < 0) return;
  }
  const n = c.num('tls.handshake.session_ticket_length', p, 2);
  if (n < 0 || c.item('tls.handshake.session_ticket', p, Math.min(n, c.left())) < 0) return;
  if (tls13 && c.has(2)) extensions(c, p, false);
}

function certificateStatus(c: Cursor, hs: number): void {
  if (c.num('tls.handshake.extensions_status_request_type', hs, 1) !== 1) return;
  const n = c.num('tls.handshake.ocsp_response_len', hs, 3);
  // The OCSP response (RFC 6960) is a protocol of its own inside the message, as in Wireshark.
  if (n > 0) c.item('ocsp', hs, Math.min(n, c.left()), 0, 'Online Certificate Status Protocol');
}


// ---- the fields ----

interface TreeFieldSpec {
  label: string;
  type?: FT;
  bits?: 8 | 16 | 24 | 32 | 64;
  hex?: number;
  names?: Readonly<Record<number, string>>;
  /** Bytes or text shown as text (a string field). */
  string?: boolean;
  textNode?: boolean;
  /** tshark's type where `type` does not say it. */
  ftype?: 'FT_OID' | 'FT_FRAMENUM';
  /** The layout's text is the node's whole line; its number is the value. */
  headed?: boolean;
  /** Worked out rather than read (tshark brackets it). */
  generated?: boolean;
}

const utcText = (sec: number): string => absoluteTimeText(sec);

/** Fields only the tree (and filters naming them) use: their values come from the layout. */
const TREE_FIELDS: Record<string, TreeFieldSpec> = {
  '_text.tls.extension': { label: 'Extension', textNode: true },
  '_text.tls.kx': { label: 'Parameters', textNode: true },
  'tls.handshake.fragments': { label: 'Reassembled Handshake Fragments', generated: true },
  'tls.handshake.fragment': { label: 'Handshake Fragment', bits: 32, headed: true, generated: true, ftype: 'FT_FRAMENUM' },
  'tls.handshake.fragment.count': { label: 'Handshake Fragment count', bits: 32, generated: true },
  'tls.app_data_proto': { label: 'Application Data Protocol', string: true, generated: true },
  'tls.quic.parameter.type': { label: 'Type', bits: 64 },
  'tls.quic.parameter.length': { label: 'Length', bits: 64 },
  'tls.quic.parameter.value': { label: 'Value', type: FT.Bytes },
  'tls.handshake.random_time': { label: 'GMT Unix Time', type: FT.AbsTime },
  'tls.handshake.random_bytes': { label: 'Random Bytes', type: FT.Bytes },
  'tls.handshake.comp_methods': { label: 'Compression Methods' },
  'tls.handshake.extension.data': { label: 'Data', type: FT.Bytes, headed: true },
  'tls.early_data.max_early_data_size': { label: 'Maximum Early Data Size', bits: 32 },
  'tls.handshake.extensions_server_name_list_len': { label: 'Server Name list length', bits: 16 },
  'tls.handshake.extensions_server_name_type': { label: 'Server Name Type', bits: 8, names: { 0: 'host_name' } },
  'tls.handshake.extensions_server_name_len': { label: 'Server Name length', bits: 16 },
  'tls.handshake.extensions_status_request_type': { label: 'Certificate Status Type', bits: 8, names: { 1: 'OCSP', 2: 'OCSP Multi' } },
  'tls.handshake.extensions_status_request_responder_ids_len': { label: 'Responder ID list Length', bits: 16 },
  'tls.handshake.extensions_status_request_exts_len': { label: 'Request Extensions Length', bits: 16 },
  'tls.handshake.extensions_supported_groups_length': { label: 'Supported Groups List Length', bits: 16 },
  'tls.handshake.extensions_supported_groups': { label: 'Supported Groups' },
  'tls.handshake.extensions_ec_point_formats_length': { label: 'EC point formats Length', bits: 8 },
  'tls.handshake.extensions_ec_point_formats': { label: 'Elliptic curves point formats' },
  'tls.handshake.sig_hash_alg_len': { label: 'Signature Hash Algorithms Length', bits: 16 },
  'tls.handshake.sig_hash_algs': { label: 'Signature Hash Algorithms' },
  'tls.handshake.sig_hash_hash': { label: 'Signature Hash Algorithm Hash', bits: 8, names: HASH_NAMES },
  'tls.handshake.sig_hash_sig': { label: 'Signature Hash Algorithm Signature', bits: 8, names: SIG_ALG_NAMES },
  'tls.handshake.extensions_alpn_len': { label: 'ALPN Extension Length', bits: 16 },
  'tls.handshake.extensions_alpn_list': { label: 'ALPN Protocol' },
  'tls.handshake.extensions_alpn_str_len': { label: 'ALPN string length', bits: 8 },
  'tls.handshake.extensions_alps_len': { label: 'ALPS Extension Length', bits: 16 },
  'tls.handshake.extensions_alps_alpn_list': { label: 'Supported ALPN List' },
  'tls.handshake.extensions_alps_alpn_str_len': { label: 'Supported ALPN Length', bits: 8 },
  'tls.handshake.extensions_alps_alpn_str': { label: 'Supported ALPN', string: true },
  'tls.handshake.extension.heartbeat.mode': { label: 'Mode', bits: 8, names: HEARTBEAT_MODE_NAMES },
  'tls.handshake.extensions_padding_data': { label: 'Padding Data', type: FT.Bytes },
  'tls.compress_certificate.algorithms_length': { label: 'Algorithms Length', bits: 8 },
  'tls.compress_certificate.algorithm': { label: 'Algorithm', bits: 16, names: COMPRESS_CERT_NAMES },
  'tls.record_size_limit': { label: 'Record Size Limit', bits: 16 },
  'tls.handshake.extensions.psk.identity.selected': { label: 'Selected Identity', bits: 16 },
  'tls.handshake.extensions.psk.identities.length': { label: 'Identities Length', bits: 16 },
  'tls.handshake.extensions.psk.identity.identity_length': { label: 'Identity Length', bits: 16 },
  'tls.handshake.extensions.psk.identity.identity': { label: 'Identity', type: FT.Bytes },
  'tls.handshake.extensions.psk.identity.obfuscated_ticket_age': { label: 'Obfuscated Ticket Age', bits: 32 },
  'tls.handshake.extensions.psk.binders_len': { label: 'PSK Binders length', bits: 16 },
  'tls.handshake.extensions.psk.binders': { label: 'PSK Binders' },
  'tls.handshake.extensions.supported_versions_len': { label: 'Supported Versions length', bits: 8 },
  'tls.extension.psk_ke_modes_length': { label: 'PSK Key Exchange Modes Length', bits: 8 },
  'tls.handshake.extensions_key_share_client_length': { label: 'Client Key Share Length', bits: 16 },
  'tls.handshake.extensions_key_share_selected_group': { label: 'Selected Group', bits: 16, names: GROUP_NAMES },
  'tls.handshake.extensions_key_share_key_exchange_length': { label: 'Key Exchange Length', bits: 16 },
  'tls.handshake.extensions_key_share_key_exchange': { label: 'Key Exchange', type: FT.Bytes },
  'tls.handshake.extensions_reneg_info_len': { label: 'Renegotiation info extension length', bits: 8 },
  'tls.handshake.extensions_reneg_info': { label: 'Renegotiation info', type: FT.Bytes },
  'tls.handshake.certificate_request_context_length': { label: 'Certificate Request Context Length', bits: 8 },
  'tls.handshake.certificate_request_context': { label: 'Certificate Request Context', type: FT.Bytes },
  'tls.handshake.certificates_length': { label: 'Certificates Length', bits: 24 },
  'tls.handshake.certificates': { label: 'Certificates' },
  'tls.handshake.server_curve_type': { label: 'Curve Type', bits: 8, hex: 2, names: { 3: 'named_curve' } },
  'tls.handshake.server_named_curve': { label: 'Named Curve', bits: 16, hex: 4, names: GROUP_NAMES },
  'tls.handshake.server_point_len': { label: 'Pubkey Length', bits: 8 },
  'tls.handshake.server_point': { label: 'Pubkey', type: FT.Bytes },
  'tls.handshake.client_point_len': { label: 'Pubkey Length', bits: 8 },
  'tls.handshake.client_point': { label: 'Pubkey', type: FT.Bytes },
  'tls.handshake.p_len': { label: 'p Length', bits: 16 },
  'tls.handshake.p': { label: 'p', type: FT.Bytes },
  'tls.handshake.g_len': { label: 'g Length', bits: 16 },
  'tls.handshake.g': { label: 'g', type: FT.Bytes },
  'tls.handshake.ys_len': { label: 'Pubkey Length', bits: 16 },
  'tls.handshake.ys': { label: 'Pubkey', type: FT.Bytes },
  'tls.handshake.yc_len': { label: 'Pubkey Length', bits: 16 },
  'tls.handshake.yc': { label: 'Pubkey', type: FT.Bytes },
  'tls.handshake.epms_len': { label: 'Encrypted PreMaster length', bits: 16 },
  'tls.handshake.epms': { label: 'Encrypted PreMaster', type: FT.Bytes },
  'tls.handshake.sig_len': { label: 'Signature Length', bits: 16 },
  'tls.handshake.sig': { label: 'Signature', type: FT.Bytes },
  'tls.handshake.client_cert_vrfy.sig_len': { label: 'Signature length', bits: 16 },
  'tls.handshake.client_cert_vrfy.sig': { label: 'Signature', type: FT.Bytes },
  'tls.handshake.cert_types_count': { label: 'Certificate types count', bits: 8 },
  'tls.handshake.cert_types': { label: 'Certificate types' },
  'tls.handshake.cert_type': { label: 'Certificate type', bits: 8, names: CERT_TYPE_NAMES },
  'tls.handshake.dnames_len': { label: 'Distinguished Names Length', bits: 16 },
  'tls.handshake.dnames': { label: 'Distinguished Names' },
  'tls.handshake.dname_len': { label: 'Distinguished Name Length', bits: 16 },
  'tls.handshake.dname': { label: 'Distinguished Name' },
  'tls.handshake.verify_data': { label: 'Verify Data' },
  'tls.handshake.session_ticket_lifetime_hint': { label: 'Session Ticket Lifetime Hint', bits: 32 },
  'tls.handshake.session_ticket_length': { label: 'Session Ticket Length', bits: 16 },
  'tls.handshake.session_ticket_age_add': { label: 'Session Ticket Age Add', bits: 32 },
  'tls.handshake.session_ticket_nonce_length': { label: 'Session Ticket Nonce Length', bits: 8 },
  'tls.handshake.session_ticket_nonce': { label: 'Session Ticket Nonce', type: FT.Bytes },
  'tls.handshake.session_ticket': { label: 'Session Ticket', type: FT.Bytes },
  'tls.handshake.ocsp_response_len': { label: 'OCSP Response Length', bits: 24 },
};

/** Fields declared elsewhere (tls.ts) whose values stand; the tree places them by the layout. */
const PLACED_FIELDS = [
  'tls.record', 'tls.record.content_type', 'tls.record.opaque_type', 'tls.record.version', 'tls.record.length', 'tls.app_data',
  'tls.change_cipher_spec', 'tls.alert_message', 'tls.alert_message.level', 'tls.alert_message.desc', 'tls.handshake',
  'tls.handshake.type', 'tls.handshake.length', 'tls.handshake.version', 'tls.handshake.random', 'tls.handshake.session_id_length',
  'tls.handshake.session_id', 'tls.handshake.cipher_suites_length', 'tls.handshake.ciphersuites', 'tls.handshake.ciphersuite',
  'tls.handshake.comp_methods_length', 'tls.handshake.comp_method', 'tls.handshake.extensions_length',
  'tls.handshake.extension.type', 'tls.handshake.extension.len', 'tls.handshake.extensions_server_name',
  'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions.supported_version', 'tls.handshake.extensions_supported_group',
  'tls.handshake.extensions_key_share_group', 'tls.handshake.sig_hash_alg', 'tls.extension.psk_ke_mode',
  'tls.handshake.extensions_ec_point_format', 'tls.handshake.ja3_full', 'tls.handshake.ja3', 'tls.handshake.ja3s_full',
  'tls.handshake.ja3s', 'tls.handshake.ja4', 'tls.handshake.ja4_r', 'tls.handshake.ja4_o', 'tls.handshake.ja4_ro',
  'tls.handshake.certificate_length', 'tls.handshake.certificate', 'tls.handshake.certificate.subject_cn',
  'tls.handshake.certificate.issuer_cn',
];

/** Fields of tls.ts whose occurrences the layout lists beyond the Hellos (a signature's algorithm in key exchange messages too). */
const LAYOUT_VALUED = new Set(['tls.handshake.sig_hash_alg', 'tls.handshake.extensions_length', 'tls.handshake', 'tls.alert_message']);

/** Placement by the layout: occurrence i of `name` is the layout's i-th node of that name. */
function placement(name: string): Pick<FieldDef, 'nodeKey' | 'parentKey' | 'range' | 'instanceOf'> {
  return {
    instanceOf: (d, i) => { const l = tlsLayout(d); const k = l.at(name, i); return k >= 0 ? l.inst[k] : 0; },
    nodeKey: (d, i) => { const k = tlsLayout(d).at(name, i); return k >= 0 ? k : MAX_NODES + i; },
    parentKey: (d, i) => { const l = tlsLayout(d); const k = l.at(name, i); return k >= 0 ? l.parent[k] : -1; },
    range: (d, i, out) => {
      const l = tlsLayout(d);
      const k = l.at(name, i);
      return k >= 0 && l.buf[k] === d.buf ? out.set(d.buf, l.off[k], l.len[k]) : false;
    },
  };
}

const layoutCount = (name: string) => (d: Dissection): number => tlsLayout(d).occ.get(name)?.length ?? 0;

/** Whether record r holds a handshake message of its own (not SSL 2.0, not carried by QUIC). */
function holdsMessage(t: TlsInfo, r: number): boolean {
  for (let m = 0; m < t.msgCount; m++) if (t.msgRecord[m] === r && (t.msgFlags[m] & (MsgFlag.Quic | MsgFlag.Sslv2)) === 0) return true;
  return false;
}

const plainRecord = (t: TlsInfo, r: number): boolean => (t.recordFlags[r] & (RecordFlag.Sslv2 | RecordFlag.Opaque)) === 0;

/**
 * The layout's count of handshake nodes without laying out the frame (filters ask it of every
 * frame): each message, and each handshake record without one (an encrypted message).
 */
function handshakeCount(d: Dissection): number {
  // Over QUIC a call shows fragments of messages too: the layout counts them.
  if (QuicHandshakePieces.of(d) !== null) return layoutCount('tls.handshake')(d);
  const t = d.tls;
  let n = 0;
  for (let m = 0; m < t.msgCount; m++) if ((t.msgFlags[m] & MsgFlag.Sslv2) === 0) n++;
  for (let r = 0; r < t.recordCount; r++) if (plainRecord(t, r) && t.contentType[r] === ContentType.Handshake && !holdsMessage(t, r)) n++;
  return n;
}

/** Alert records: one alert message node each, readable or encrypted. */
function alertCount(d: Dissection): number {
  const t = d.tls;
  let n = 0;
  for (let r = 0; r < t.recordCount; r++) {
    if (plainRecord(t, r) ? t.contentType[r] === ContentType.Alert : (t.recordFlags[r] & RecordFlag.Opaque) !== 0 && innerContentType(d, r) === ContentType.Alert) n++;
  }
  return n;
}

for (const name of PLACED_FIELDS) {
  const f = getField(name);
  if (f === undefined) throw new Error(`TLS tree: field ${name} is not declared`);
  Object.assign(f, placement(name));
  if (name === 'tls.record.content_type') {
    // Without decryption this is the count tls.ts keeps; decrypted TLS 1.3 records add their inner type.
    const plainCount = f.count;
    f.count = (d) => {
      const info = decryptInfoOf(d);
      if (info.count === 0) return plainCount(d);
      let n = 0;
      while (contentTypeAt(d, n) >= 0) n++;
      return n;
    };
    const plainNum = f.num!;
    f.num = (d, i) => (decryptInfoOf(d).count === 0 ? plainNum(d, i) : contentTypeAt(d, i));
    // A decrypted TLS 1.3 record's inner type is worked out, not read from its header: tshark brackets it.
    f.generatedAt = (d, i) => { const l = tlsLayout(d); const k = l.at(name, i); return k >= 0 && l.len[k] === 0; };
  }
  if (name === 'tls.app_data' || name === 'tls.alert_message.level' || name === 'tls.alert_message.desc') {
    // A decrypted TLS 1.3 record shows its contents instead: the layout has the occurrences then.
    const plainCount = f.count, plainNum = f.num, plainBytes = f.bytes;
    f.count = (d) => (decryptInfoOf(d).count === 0 ? plainCount(d) : layoutCount(name)(d));
    if (plainNum !== undefined) f.num = (d, i) => { if (decryptInfoOf(d).count === 0) return plainNum(d, i); const l = tlsLayout(d); const k = l.at(name, i); return k >= 0 ? l.num[k] : 0; };
    if (plainBytes !== undefined) f.bytes = (d, i, out) => { if (decryptInfoOf(d).count === 0) return plainBytes(d, i, out); const l = tlsLayout(d); const k = l.at(name, i); return k >= 0 && out.set(l.buf[k], l.off[k], l.len[k]); };
  }
  if (LAYOUT_VALUED.has(name)) {
    f.count = name === 'tls.handshake' ? handshakeCount : name === 'tls.alert_message' ? alertCount : layoutCount(name);
    if (f.num !== undefined) f.num = (d, i) => { const l = tlsLayout(d); const k = l.at(name, i); return k >= 0 ? l.num[k] : 0; };
  }
  if (name === 'tls.record' || name === 'tls.handshake' || name === 'tls.alert_message') f.text = (d, i) => { const l = tlsLayout(d); const k = l.at(name, i); return k >= 0 ? l.text[k] : ''; };
  if (name.startsWith('tls.handshake.ja4') || name.endsWith('_cn')) f.hidden = true;
}

const QUIC_PARAM_LABELS: Readonly<Record<string, string>> = {
  'google.initial_rtt': 'Google Initial RTT', 'google.connection_options': 'Google Connection options', 'google.quic_version': 'Google QUIC version',
  initial_source_connection_id: 'Initial Source Connection ID', original_destination_connection_id: 'original_destination_connection_id',
  retry_source_connection_id: 'Retry Source Connection ID', stateless_reset_token: 'stateless_reset_token', active_connection_id_limit: 'Active Connection ID Limit',
};
const ALL_TREE_FIELDS: [string, TreeFieldSpec][] = [
  ...Object.entries(TREE_FIELDS),
  ...Object.values(QUIC_PARAMS).filter(([, f]) => f !== '').map(([, f]): [string, TreeFieldSpec] => {
    const kind = QUIC_PARAM_KINDS[f] ?? 'varint';
    return [`tls.quic.parameter.${f}`, { label: QUIC_PARAM_LABELS[f] ?? f, type: kind === 'bytes' ? FT.Bytes : kind === 'u32' ? FT.Hex : FT.UInt, hex: kind === 'u32' ? 8 : undefined, bits: kind === 'u32' ? 32 : kind === 'varint' ? 64 : undefined }];
  }),
  ...Object.entries(X509_FIELDS).map(([name, f]): [string, TreeFieldSpec] => [name, { label: f.label, type: f.type, bits: f.bits, names: f.names, textNode: name.startsWith('_text.'), ftype: f.ftype, headed: f.headed }]),
];
// The OCSP response a Certificate Status message carries: a protocol node inside the TLS subtree.
defineField({
  name: 'ocsp', label: 'Online Certificate Status Protocol', type: FT.None, proto: 'ocsp', alsoIn: ['tls'], ...placement('ocsp'),
  count: layoutCount('ocsp'),
  text: () => 'Online Certificate Status Protocol',
});

for (const [name, spec] of ALL_TREE_FIELDS) {
  const type = spec.type ?? (spec.string ? FT.String : spec.bits !== undefined ? (spec.hex !== undefined ? FT.Hex : FT.UInt) : FT.None);
  const at = (d: Dissection, i: number): [TlsLayout, number] => { const l = tlsLayout(d); return [l, l.at(name, i)]; };
  const def: FieldDef = {
    name, label: spec.label, type, proto: 'tls', ...placement(name),
    count: layoutCount(name),
    textNode: spec.textNode,
    valueNames: spec.names,
    hexDigits: spec.hex,
    valueBits: spec.bits,
    ftype: spec.ftype,
    generated: spec.generated,
  };
  if (spec.headed === true) def.heading = (d, i) => { const [l, k] = at(d, i); return k >= 0 ? l.text[k] || spec.label : ''; };
  if (type === FT.None) {
    def.text = (d, i) => { const [l, k] = at(d, i); return k >= 0 ? l.text[k] || spec.label : ''; };
  } else if (type === FT.String) {
    def.text = (d, i) => {
      const [l, k] = at(d, i);
      if (k < 0) return '';
      return l.text[k] !== '' ? l.text[k] : l.buf[k].toString('utf8', l.off[k], l.off[k] + l.len[k]);
    };
    if (spec.ftype === 'FT_OID') {
      // The value is the dotted identifier; the tree adds the name it is known by.
      const line = def.text;
      def.display = line;
      def.text = (d, i) => { const t = line(d, i); const sp = t.indexOf(' '); return sp < 0 ? t : t.slice(0, sp); };
    }
  } else if (type === FT.Bytes) {
    def.bytes = (d, i, out) => { const [l, k] = at(d, i); return k >= 0 && out.set(l.buf[k], l.off[k], l.len[k]); };
  } else {
    def.num = (d, i) => { const [l, k] = at(d, i); return k >= 0 ? l.num[k] : 0; };
    // An absolute time prints as Wireshark writes one, in -T fields as in the tree.
    if (type === FT.AbsTime) def.text = (d, i) => utcText(def.num!(d, i));
  }
  defineField(def);
}
