// TLS fields under Wireshark's names, read from d.tls (src/tls/tls-info.ts), which lists the records
// and handshake messages that end in the frame. Occurrences run in frame order, as tshark's do, so
// `-E occurrence=f` picks the same one. Hello contents are read through a HelloView parsed on first
// use per message; fingerprints and names are strings made only when a value is printed.
//
// Beyond Wireshark 4.0's fields: tls.handshake.ja4 and ja4_r (as Wireshark 4.2 names them), ja4_o
// and ja4_ro (JA4's original-order renderings), and the certificate Common Names
// tls.handshake.certificate.subject_cn / issuer_cn.

import { Dissection } from '../decode/dissection';
import { defineField, FT, FieldDef, Span } from './registry';
import { asciiText } from './format';
import { MsgFlag, RecordFlag, SegmentRole, TlsInfo } from '../tls/tls-info';
import { ContentType, REC_HEADER_LEN, TLSV1DOT3_VERSION, VERSION_NAMES, versionShortName } from '../tls/records';
import {
  ALERT_DESC_NAMES, ALERT_LEVEL_NAMES, EXTENSION_NAMES, HANDSHAKE_NAMES, HandshakeType, HelloView, HS_HEADER_LEN,
  MAX_CERTS, certificateCommonName, certificateList, countItems, derStringText, itemAt,
} from '../tls/handshake';
import { ja3Full, ja3sFull, ja4, md5Hex } from '../tls/fingerprints';
import { decryptableSuites } from '../tls/cipher-suites';
import { decryptInfoOf, innerContentType } from '../tls/decrypt-info';
import { recordLabel, tlsInstances } from './tls-layout';
import { LABEL_ENCRYPTED, LABEL_MULTIPLE, QuicHandshakePieces } from '../tls/quic-handshake';
import { quicCryptoHandoffs } from '../protocols/quic/initial';
import { cryptoFrameAt, packetOfFrame, resultsOf } from '../protocols/quic/stage';

/** Names for the details tree: suites from the table decryption uses, plus the usual groups and signature schemes (IANA). */
const SUITE_NAMES: Record<number, string> = {};
for (const suite of decryptableSuites()) SUITE_NAMES[suite.id] = suite.name;
SUITE_NAMES[0x00ff] = 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV';
SUITE_NAMES[0x5600] = 'TLS_FALLBACK_SCSV';
const GROUP_NAMES: Readonly<Record<number, string>> = {
  0x0017: 'secp256r1', 0x0018: 'secp384r1', 0x0019: 'secp521r1', 0x001d: 'x25519', 0x001e: 'x448', 0x0100: 'ffdhe2048',
  0x0101: 'ffdhe3072', 0x0102: 'ffdhe4096', 0x0103: 'ffdhe6144', 0x0104: 'ffdhe8192', 0x11ec: 'X25519MLKEM768',
  0x6399: 'X25519Kyber768Draft00',
};
const SIG_NAMES: Readonly<Record<number, string>> = {
  0x0201: 'rsa_pkcs1_sha1', 0x0203: 'ecdsa_sha1', 0x0401: 'rsa_pkcs1_sha256', 0x0403: 'ecdsa_secp256r1_sha256',
  0x0501: 'rsa_pkcs1_sha384', 0x0503: 'ecdsa_secp384r1_sha384', 0x0601: 'rsa_pkcs1_sha512', 0x0603: 'ecdsa_secp521r1_sha512',
  0x0804: 'rsa_pss_rsae_sha256', 0x0805: 'rsa_pss_rsae_sha384', 0x0806: 'rsa_pss_rsae_sha512', 0x0807: 'ed25519',
  0x0808: 'ed448', 0x0809: 'rsa_pss_pss_sha256', 0x080a: 'rsa_pss_pss_sha384', 0x080b: 'rsa_pss_pss_sha512',
};

const CONTENT_TYPE_NAMES: Readonly<Record<number, string>> = {
  20: 'Change Cipher Spec', 21: 'Alert', 22: 'Handshake', 23: 'Application Data', 24: 'Heartbeat', 25: 'Connection ID',
};

// ---- records ----

/** Index of the i-th record that passes `keep`, or -1. */
function nthRecord(t: TlsInfo, i: number, keep: (t: TlsInfo, r: number) => boolean): number {
  for (let r = 0; r < t.recordCount; r++) {
    if (keep(t, r)) {
      if (i === 0) return r;
      i--;
    }
  }
  return -1;
}

function countRecords(t: TlsInfo, keep: (t: TlsInfo, r: number) => boolean): number {
  let n = 0;
  for (let r = 0; r < t.recordCount; r++) if (keep(t, r)) n++;
  return n;
}

function recordField(def: Omit<FieldDef, 'count' | 'num' | 'proto'> & { keep: (t: TlsInfo, r: number, d: Dissection) => boolean; value: (t: TlsInfo, r: number, d: Dissection) => number }): void {
  const { keep: keepIn, value, ...rest } = def;
  // The frame's record selection may depend on what decryption made of each record.
  let frame: Dissection | null = null;
  const keep = (t: TlsInfo, r: number): boolean => keepIn(t, r, frame!);
  defineField({
    ...rest,
    proto: 'tls',
    count: (d) => { frame = d; return countRecords(d.tls, keep); },
    num: (d, i) => { frame = d; return value(d.tls, nthRecord(d.tls, i, keep), d); },
    range: rest.range ?? ((d, i, out) => {
      frame = d;
      const r = nthRecord(d.tls, i, keep);
      return r >= 0 && d.tls.recordBuf[r] === d.buf ? out.set(d.buf, d.tls.recordOff[r], REC_HEADER_LEN) : false;
    }),
  });
}

const anyRecord = (): boolean => true;
const v3Record = (t: TlsInfo, r: number): boolean => (t.recordFlags[r] & RecordFlag.Sslv2) === 0;
const bodyOf = (t: TlsInfo, r: number): number => t.recordOff[r] + REC_HEADER_LEN;
const isPlainAlert = (t: TlsInfo, r: number): boolean =>
  v3Record(t, r) && t.contentType[r] === ContentType.Alert && (t.recordFlags[r] & RecordFlag.Opaque) === 0 &&
  (t.length[r] === 2 || (t.recordFlags[r] & RecordFlag.PlainAlert) !== 0);
/** A record that decryption found to be an alert (TLS 1.3's inner type, or an encrypted TLS ≤ 1.2 alert). */
const decryptedAlert = (r: number, d: Dissection): boolean => innerContentType(d, r) === ContentType.Alert && decryptInfoOf(d).plain[r].length >= 2;
const isAlert = (t: TlsInfo, r: number, d?: Dissection): boolean => isPlainAlert(t, r) || (d !== undefined && v3Record(t, r) && decryptedAlert(r, d));
/** Not known to be anything else once decrypted. */
const carriesAppData = (d: Dissection, r: number): boolean => { const inner = innerContentType(d, r); return inner < 0 || inner === ContentType.ApplicationData; };
/** Byte k of an alert's body: from the frame, or from the record's plaintext. */
const alertByte = (t: TlsInfo, r: number, d: Dissection, k: number): number =>
  isPlainAlert(t, r) ? t.recordBuf[r][bodyOf(t, r) + k] : decryptInfoOf(d).plain[r][k];

/** The record label tshark gives a TLS call over QUIC CRYPTO data: it has no record, only the handshake stream (RFC 9001 §4). */
function quicCallLabel(p: QuicHandshakePieces, c: number): string {
  const l = p.label[c];
  const name = l === LABEL_MULTIPLE ? 'Multiple Handshake Messages' : l === LABEL_ENCRYPTED ? 'Encrypted Handshake Message' : HANDSHAKE_NAMES[l] ?? 'Encrypted Handshake Message';
  return `${versionShortName(TLSV1DOT3_VERSION)} Record Layer: Handshake Protocol: ${name}${p.labelFragment[c] !== 0 ? ' (fragment)' : ''}`;
}

defineField({
  name: 'tls', label: 'Transport Layer Security', type: FT.None, proto: 'tls',
  // A segment that only starts a record still passes through TLS, which Wireshark shows as an empty subtree.
  count: (d) => {
    const quic = QuicHandshakePieces.of(d);
    if (quic !== null) return quic.calls;
    return d.tls.role === SegmentRole.Tls || d.tls.role === SegmentRole.PduStart || d.tls.msgCount > 0 ? tlsInstances(d.tls) : 0;
  },
  text: () => 'Transport Layer Security',
  heading: (d, i) => { const quic = QuicHandshakePieces.of(d); return quic !== null && i < quic.calls ? quicCallLabel(quic, i) : 'Transport Layer Security'; },
  // Over QUIC each call's subtree stands in the CRYPTO frame that handed its bytes on.
  nestIn: (d, i) => {
    const quic = QuicHandshakePieces.of(d);
    if (quic === null || i >= quic.calls) return null;
    const h = quicCryptoHandoffs.of(d), k = quic.handoff[i];
    const j = cryptoFrameAt(d, h.pktOff[k], h.frameOff[k]);
    const r = resultsOf(d);
    return j < 0 || r === null ? null : ['quic', packetOfFrame(r, j), 'quic.frame', j];
  },
});
defineField({
  name: 'tls.record', label: 'Record Layer', type: FT.None, proto: 'tls', count: (d) => d.tls.recordCount,
  text: (d, i) => recordLabel(d.tls, i),
  range: (d, i, out) => (d.tls.recordBuf[i] === d.buf ? out.set(d.buf, d.tls.recordOff[i], Math.min(REC_HEADER_LEN + d.tls.length[i], d.frameEnd - d.tls.recordOff[i])) : false),
});
recordField({
  name: 'tls.record.content_type', valueBits: 8, label: 'Content Type', type: FT.UInt, valueNames: CONTENT_TYPE_NAMES,
  // A decrypted TLS 1.3 record shows its inner type, as tshark's with keys.
  keep: (t, r, d) => v3Record(t, r) && ((t.recordFlags[r] & RecordFlag.Opaque) === 0 || innerContentType(d, r) >= 0),
  value: (t, r, d) => ((t.recordFlags[r] & RecordFlag.Opaque) !== 0 ? innerContentType(d, r) : t.contentType[r]),
});
recordField({
  name: 'tls.record.opaque_type', valueBits: 8, label: 'Opaque Type', type: FT.UInt, valueNames: CONTENT_TYPE_NAMES,
  keep: (t, r) => (t.recordFlags[r] & RecordFlag.Opaque) !== 0,
  value: (t, r) => t.contentType[r],
});
recordField({
  name: 'tls.record.version', valueBits: 16, label: 'Version', type: FT.Hex, hexDigits: 4, valueNames: VERSION_NAMES, keep: anyRecord, value: (t, r) => t.version[r],
});
recordField({
  name: 'tls.record.length', valueBits: 16, label: 'Length', type: FT.UInt,
  keep: (t, r) => (t.recordFlags[r] & RecordFlag.Sslv2NoLength) === 0,
  value: (t, r) => t.length[r],
});
defineField({
  name: 'tls.app_data', label: 'Encrypted Application Data', type: FT.Bytes, proto: 'tls',
  // Not for a record that decrypted to something else (a TLS 1.3 handshake or alert), as tshark with keys.
  count: (d) => countRecords(d.tls, (t, r) => v3Record(t, r) && t.contentType[r] === ContentType.ApplicationData && carriesAppData(d, r)),
  bytes: (d, i, out) => {
    const r = nthRecord(d.tls, i, (t, k) => v3Record(t, k) && t.contentType[k] === ContentType.ApplicationData && carriesAppData(d, k));
    return r >= 0 && out.set(d.tls.recordBuf[r], bodyOf(d.tls, r), d.tls.length[r]);
  },
});
defineField({
  name: 'tls.change_cipher_spec', label: 'Change Cipher Spec Message', type: FT.None, proto: 'tls',
  count: (d) => countRecords(d.tls, (t, r) => v3Record(t, r) && t.contentType[r] === ContentType.ChangeCipherSpec),
});
defineField({ name: 'tls.alert_message', label: 'Alert Message', type: FT.None, proto: 'tls', count: (d) => countRecords(d.tls, (t, r) => isAlert(t, r, d)) });
recordField({
  name: 'tls.alert_message.level', valueBits: 8, label: 'Level', type: FT.UInt, valueNames: ALERT_LEVEL_NAMES, keep: isAlert,
  value: (t, r, d) => alertByte(t, r, d, 0),
});
recordField({
  name: 'tls.alert_message.desc', valueBits: 8, label: 'Description', type: FT.UInt, valueNames: ALERT_DESC_NAMES, keep: isAlert,
  value: (t, r, d) => alertByte(t, r, d, 1),
});


// ---- handshake messages ----

const isHello = (t: TlsInfo, m: number): boolean =>
  (t.msgFlags[m] & MsgFlag.Sslv2) === 0 && (t.msgType[m] === HandshakeType.ClientHello || t.msgType[m] === HandshakeType.ServerHello);
const isClientHello = (t: TlsInfo, m: number): boolean => isHello(t, m) && t.msgType[m] === HandshakeType.ClientHello;
const isServerHello = (t: TlsInfo, m: number): boolean => isHello(t, m) && t.msgType[m] === HandshakeType.ServerHello;
const v3Message = (t: TlsInfo, m: number): boolean => (t.msgFlags[m] & MsgFlag.Sslv2) === 0;
/** Messages whose items the Hello fields also list: EncryptedExtensions' extensions, CertificateVerify's signature scheme. */
const hasHelloItems = (t: TlsInfo, m: number): boolean =>
  isHello(t, m) || (v3Message(t, m) && OTHER_WITH_ITEMS.has(t.msgType[m]));
const OTHER_WITH_ITEMS = new Set<number>([
  HandshakeType.EncryptedExtensions, HandshakeType.CertificateVerify, HandshakeType.ServerKeyExchange, HandshakeType.NewSessionTicket, HandshakeType.Certificate,
]);

const view = new HelloView();
let viewInfo: TlsInfo | null = null;
let viewBuf: Buffer | null = null;
let viewOff = -1;
let viewLen = -1;
let viewNumber = -1;

/** The Hello of message m, parsed once per message. */
function helloOf(d: Dissection, m: number): HelloView {
  const t = d.tls;
  const buf = t.msgBuf[m], off = t.msgOff[m], len = t.msgLen[m];
  if (viewInfo !== t || viewBuf !== buf || viewOff !== off || viewLen !== len || viewNumber !== d.number) {
    if (isHello(t, m)) view.parse(buf, off, off + HS_HEADER_LEN + len);
    else view.parseOther(buf, off, off + HS_HEADER_LEN + len, t.msgSessionVersion[m]);
    viewInfo = t;
    viewBuf = buf;
    viewOff = off;
    viewLen = len;
    viewNumber = d.number;
  }
  return view;
}

function messageField(def: Omit<FieldDef, 'count' | 'num' | 'proto'> & { keep: (t: TlsInfo, m: number) => boolean; value: (t: TlsInfo, m: number) => number }): void {
  const { keep, value, ...rest } = def;
  const nth = (t: TlsInfo, i: number): number => {
    for (let m = 0; m < t.msgCount; m++) if (keep(t, m) && i-- === 0) return m;
    return -1;
  };
  defineField({
    ...rest,
    proto: 'tls',
    count: (d) => {
      let n = 0;
      for (let m = 0; m < d.tls.msgCount; m++) if (keep(d.tls, m)) n++;
      return n;
    },
    num: (d, i) => value(d.tls, nth(d.tls, i)),
  });
}

/**
 * A field with `items(h)` occurrences in each Hello of the frame (those `keep` selects), numbered
 * through all of them in frame order.
 */
function helloField(def: Omit<FieldDef, 'count' | 'num' | 'text' | 'bytes' | 'proto'> & {
  keep?: (t: TlsInfo, m: number) => boolean;
  items: (h: HelloView) => number;
  num?: (h: HelloView, i: number) => number;
  text?: (h: HelloView, i: number, d: Dissection, m: number) => string;
  bytes?: (h: HelloView, i: number, out: Span) => boolean;
}): void {
  const { keep = hasHelloItems, items, num, text, bytes, ...rest } = def;
  // Which message and which item within it occurrence i is: written to `at`.
  const at = new Int32Array(2);
  const locate = (d: Dissection, i: number): HelloView | null => {
    const t = d.tls;
    for (let m = 0; m < t.msgCount; m++) {
      if (!keep(t, m)) continue;
      const h = helloOf(d, m);
      const n = items(h);
      if (i < n) {
        at[0] = m;
        at[1] = i;
        return h;
      }
      i -= n;
    }
    return null;
  };
  defineField({
    ...rest,
    proto: 'tls',
    count: (d) => {
      const t = d.tls;
      let n = 0;
      for (let m = 0; m < t.msgCount; m++) if (keep(t, m)) n += items(helloOf(d, m));
      return n;
    },
    num: num && ((d, i) => { const h = locate(d, i); return h === null ? 0 : num(h, at[1]); }),
    text: text && ((d, i) => { const h = locate(d, i); return h === null ? '' : text(h, at[1], d, at[0]); }),
    bytes: bytes && ((d, i, out) => { const h = locate(d, i); return h !== null && bytes(h, at[1], out); }),
  });
}

defineField({
  name: 'tls.handshake', label: 'Handshake Protocol', type: FT.None, proto: 'tls', count: (d) => d.tls.msgCount,
  text: (d, i) => `Handshake Protocol: ${messageName(d.tls, i)}`,
});
messageField({
  name: 'tls.handshake.type', valueBits: 8, label: 'Handshake Type', type: FT.UInt, valueNames: HANDSHAKE_NAMES,
  keep: () => true, value: (t, m) => t.msgType[m],
});
messageField({ name: 'tls.handshake.length', valueBits: 24, label: 'Length', type: FT.UInt, keep: v3Message, value: (t, m) => t.msgLen[m] });

function messageName(t: TlsInfo, m: number): string {
  if (t.msgFlags[m] & MsgFlag.HelloRetryRequest) return 'Hello Retry Request';
  if (t.msgFlags[m] & MsgFlag.Sslv2) return `SSLv2 ${['Error', 'Client Hello', 'Client Master Key', 'Client Finished', 'Server Hello'][t.msgType[m]] ?? 'message'}`;
  return HANDSHAKE_NAMES[t.msgType[m]] ?? 'Unknown';
}

/** tls.handshake.version: a Hello's legacy version, or an SSLv2 Client Hello's version. */
const hasVersion = (t: TlsInfo, m: number): boolean =>
  isHello(t, m) ? t.msgLen[m] >= 2
    : (t.msgFlags[m] & MsgFlag.Sslv2) !== 0 && t.msgType[m] === 1 && t.msgLen[m] >= 2;
messageField({
  name: 'tls.handshake.version', valueBits: 16, label: 'Version', type: FT.Hex, hexDigits: 4, valueNames: VERSION_NAMES, keep: hasVersion,
  value: (t, m) => t.msgBuf[m].readUInt16BE(t.msgOff[m] + ((t.msgFlags[m] & MsgFlag.Sslv2) !== 0 ? 1 : HS_HEADER_LEN)),
});
helloField({
  name: 'tls.handshake.random', label: 'Random', type: FT.Bytes, items: (h) => (h.randomOff >= 0 ? 1 : 0),
  bytes: (h, _i, out) => out.set(h.buf, h.randomOff, 32),
});
helloField({ name: 'tls.handshake.session_id_length', valueBits: 16, label: 'Session ID Length', type: FT.UInt, items: (h) => (h.sessionIdOff >= 0 ? 1 : 0), num: (h) => h.sessionIdLen });
helloField({
  name: 'tls.handshake.session_id', label: 'Session ID', type: FT.Bytes, items: (h) => (h.sessionIdOff >= 0 && h.sessionIdLen > 0 ? 1 : 0),
  bytes: (h, _i, out) => out.set(h.buf, h.sessionIdOff, h.sessionIdLen),
});
helloField({
  name: 'tls.handshake.cipher_suites_length', valueBits: 16, label: 'Cipher Suites Length', type: FT.UInt, keep: isClientHello,
  items: (h) => (h.cipherOff >= 0 ? 1 : 0), num: (h) => h.cipherEnd - h.cipherOff,
});
helloField({
  name: 'tls.handshake.ciphersuites', label: 'Cipher Suites', type: FT.None, keep: isClientHello,
  items: (h) => (h.cipherOff >= 0 ? 1 : 0),
  text: (h) => { const n = (h.cipherEnd - h.cipherOff) >> 1; return `Cipher Suites (${n} suite${n === 1 ? '' : 's'})`; },
});
helloField({
  name: 'tls.handshake.ciphersuite', valueBits: 16, label: 'Cipher Suite', type: FT.Hex, hexDigits: 4, valueNames: SUITE_NAMES,
  items: (h) => (h.cipherOff >= 0 ? (h.cipherEnd - h.cipherOff) >> 1 : 0), num: (h, i) => h.buf.readUInt16BE(h.cipherOff + 2 * i),
});
helloField({
  name: 'tls.handshake.comp_methods_length', valueBits: 8, label: 'Compression Methods Length', type: FT.UInt, keep: isClientHello,
  items: (h) => (h.compOff >= 0 ? 1 : 0), num: (h) => h.compEnd - h.compOff,
});
helloField({
  name: 'tls.handshake.comp_method', valueBits: 8, label: 'Compression Method', type: FT.UInt, valueNames: { 0: 'null', 1: 'DEFLATE', 64: 'LZS' },
  items: (h) => (h.compOff >= 0 ? h.compEnd - h.compOff : 0), num: (h, i) => h.buf[h.compOff + i],
});
helloField({
  name: 'tls.handshake.extensions_length', valueBits: 16, label: 'Extensions Length', type: FT.UInt,
  items: (h) => (h.extOff >= 0 ? 1 : 0) + h.certExtCount, num: (h, i) => (h.extOff >= 0 ? h.extEnd - h.extOff : h.certExtLen[i]),
});

/** Offset of extension i's header in the Hello. */
function extensionAt(h: HelloView, i: number): number {
  let q = h.extOff;
  for (let k = 0; k < i; k++) q += 4 + h.buf.readUInt16BE(q + 2);
  return q;
}

helloField({
  name: 'tls.handshake.extension.type', valueBits: 16, label: 'Type', type: FT.UInt, valueNames: EXTENSION_NAMES,
  items: (h) => h.extCount, num: (h, i) => h.buf.readUInt16BE(extensionAt(h, i)),
});
helloField({
  name: 'tls.handshake.extension.len', valueBits: 16, label: 'Length', type: FT.UInt,
  items: (h) => h.extCount, num: (h, i) => h.buf.readUInt16BE(extensionAt(h, i) + 2),
});

const item = new Int32Array(2);

helloField({
  name: 'tls.handshake.extensions_server_name', label: 'Server Name', type: FT.String,
  items: (h) => (h.sniOff >= 0 ? countItems(h.buf, h.sniOff, h.sniEnd, 1, 2) : 0),
  text: (h, i) => (itemAt(h.buf, h.sniOff, h.sniEnd, 1, 2, i, item) ? asciiText(h.buf, item[0], item[1]) : ''),
});
helloField({
  name: 'tls.handshake.extensions_alpn_str', label: 'ALPN Next Protocol', type: FT.String,
  items: (h) => (h.alpnOff >= 0 ? countItems(h.buf, h.alpnOff, h.alpnEnd, 0, 1) : 0),
  text: (h, i) => (itemAt(h.buf, h.alpnOff, h.alpnEnd, 0, 1, i, item) ? asciiText(h.buf, item[0], item[1]) : ''),
});
helloField({
  name: 'tls.handshake.extensions.supported_version', valueBits: 16, label: 'Supported Version', type: FT.Hex, hexDigits: 4, valueNames: VERSION_NAMES,
  items: (h) => (h.svOff >= 0 ? (h.svEnd - h.svOff) >> 1 : 0), num: (h, i) => h.buf.readUInt16BE(h.svOff + 2 * i),
});
helloField({
  name: 'tls.handshake.extensions_supported_group', valueBits: 16, label: 'Supported Group', type: FT.Hex, hexDigits: 4, valueNames: GROUP_NAMES,
  items: (h) => (h.groupsOff >= 0 ? (h.groupsEnd - h.groupsOff) >> 1 : 0), num: (h, i) => h.buf.readUInt16BE(h.groupsOff + 2 * i),
});
helloField({
  name: 'tls.handshake.extensions_key_share_group', valueBits: 16, label: 'Group', type: FT.UInt, valueNames: GROUP_NAMES,
  items: (h) => h.keyShareGroupCount(), num: (h, i) => h.keyShareGroup(i),
});
helloField({
  name: 'tls.handshake.sig_hash_alg', valueBits: 16, label: 'Signature Algorithm', type: FT.Hex, hexDigits: 4, valueNames: SIG_NAMES,
  items: (h) => (h.sigAlgOff >= 0 ? (h.sigAlgEnd - h.sigAlgOff) >> 1 : 0), num: (h, i) => h.buf.readUInt16BE(h.sigAlgOff + 2 * i),
});
helloField({
  name: 'tls.extension.psk_ke_mode', valueBits: 8, label: 'PSK Key Exchange Mode', type: FT.UInt,
  items: (h) => (h.pskModesOff >= 0 ? h.pskModesEnd - h.pskModesOff : 0), num: (h, i) => h.buf[h.pskModesOff + i],
});
helloField({
  name: 'tls.handshake.extensions_ec_point_format', valueBits: 8, label: 'EC point format', type: FT.UInt,
  items: (h) => (h.pointFormatsOff >= 0 ? h.pointFormatsEnd - h.pointFormatsOff : 0), num: (h, i) => h.buf[h.pointFormatsOff + i],
});

// ---- fingerprints ----

const whole = (h: HelloView): number => (h.problem === 0 ? 1 : 0);
helloField({ name: 'tls.handshake.ja3_full', generated: true, label: 'JA3 Fullstring', type: FT.String, keep: isClientHello, items: whole, text: (h) => ja3Full(h) });
helloField({ name: 'tls.handshake.ja3', generated: true, label: 'JA3', type: FT.String, keep: isClientHello, items: whole, text: (h) => md5Hex(ja3Full(h)) });
helloField({ name: 'tls.handshake.ja3s_full', generated: true, label: 'JA3S Fullstring', type: FT.String, keep: isServerHello, items: whole, text: (h) => ja3sFull(h) });
helloField({ name: 'tls.handshake.ja3s', generated: true, label: 'JA3S', type: FT.String, keep: isServerHello, items: whole, text: (h) => md5Hex(ja3sFull(h)) });
const viaQuic = (d: Dissection, m: number): boolean => (d.tls.msgFlags[m] & MsgFlag.Quic) !== 0;
helloField({ name: 'tls.handshake.ja4', generated: true, label: 'JA4', type: FT.String, keep: isClientHello, items: whole, text: (h, _i, d, m) => ja4(h, viaQuic(d, m)).ja4 });
helloField({ name: 'tls.handshake.ja4_r', generated: true, label: 'JA4_r', type: FT.String, keep: isClientHello, items: whole, text: (h, _i, d, m) => ja4(h, viaQuic(d, m)).ja4_r });
helloField({ name: 'tls.handshake.ja4_o', generated: true, label: 'JA4_o', type: FT.String, keep: isClientHello, items: whole, text: (h, _i, d, m) => ja4(h, viaQuic(d, m)).ja4_o });
helloField({ name: 'tls.handshake.ja4_ro', generated: true, label: 'JA4_ro', type: FT.String, keep: isClientHello, items: whole, text: (h, _i, d, m) => ja4(h, viaQuic(d, m)).ja4_ro });

// ---- certificates ----

const certOffs = new Int32Array(MAX_CERTS);
const certLens = new Int32Array(MAX_CERTS);
const cn = new Int32Array(3);

/** Certificates of all Certificate messages of the frame, in order; the index of cert i goes to `certOffs`. */
function certificates(d: Dissection, i: number): { buf: Buffer; n: number } | null {
  const t = d.tls;
  let seen = 0;
  for (let m = 0; m < t.msgCount; m++) {
    if (!v3Message(t, m) || t.msgType[m] !== HandshakeType.Certificate) continue;
    const buf = t.msgBuf[m];
    const body = t.msgOff[m] + HS_HEADER_LEN;
    const n = Math.min(MAX_CERTS, certificateList(buf, body, body + t.msgLen[m], t.msgSessionVersion[m] === TLSV1DOT3_VERSION, certOffs, certLens));
    if (n <= 0) continue;
    if (i >= 0 && i < seen + n) {
      // Move the wanted certificate to index 0 for the caller.
      certOffs[0] = certOffs[i - seen];
      certLens[0] = certLens[i - seen];
      return { buf, n };
    }
    seen += n;
  }
  return i < 0 ? { buf: Buffer.alloc(0), n: seen } : null;
}

const certCount = (d: Dissection): number => {
  for (let m = 0; m < d.tls.msgCount; m++) {
    if (v3Message(d.tls, m) && d.tls.msgType[m] === HandshakeType.Certificate) return certificates(d, -1)!.n;
  }
  return 0;
};

defineField({
  name: 'tls.handshake.certificate_length', valueBits: 24, label: 'Certificate Length', type: FT.UInt, proto: 'tls', count: certCount,
  num: (d, i) => (certificates(d, i) !== null ? certLens[0] : 0),
});
defineField({
  name: 'tls.handshake.certificate', label: 'Certificate', type: FT.Bytes, proto: 'tls', count: certCount,
  bytes: (d, i, out) => { const c = certificates(d, i); return c !== null && out.set(c.buf, certOffs[0], certLens[0]); },
});
for (const [name, label, subject] of [
  ['tls.handshake.certificate.subject_cn', 'Subject Common Name', true],
  ['tls.handshake.certificate.issuer_cn', 'Issuer Common Name', false],
] as const) {
  defineField({
    name, label, type: FT.String, proto: 'tls', count: certCount,
    text: (d, i) => {
      const c = certificates(d, i);
      if (c === null || !certificateCommonName(c.buf, certOffs[0], certLens[0], subject, cn)) return '';
      return derStringText(c.buf, cn[0], cn[1], cn[2]);
    },
  });
}
