// The TLS record layer (RFC 8446 §5.1, RFC 5246 §6.2): a 5-byte header (content type, legacy
// version, length) in front of every record, and the SSL 2.0 record header that an SSLv2-compatible
// Client Hello still uses (RFC 5246 Appendix E.2). Only checks over bytes live here; what a record
// means for a conversation is decided in analyzer.ts.

import { TSHARK_OTHER_TCP_PORTS, TSHARK_TLS_TCP_PORTS } from './tshark-tcp-ports';

/** Byte ranges of the TLSPlaintext header. */
export const REC_TYPE = 0;
export const REC_VERSION = 1;
export const REC_LENGTH = 3;
export const REC_HEADER_LEN = 5;

/** ContentType, RFC 8446 §5.1 and RFC 6520 (heartbeat). */
export const enum ContentType {
  ChangeCipherSpec = 20,
  Alert = 21,
  Handshake = 22,
  ApplicationData = 23,
  Heartbeat = 24,
  /** RFC 9146: a TLS 1.2 record carrying a connection ID. */
  Tls12Cid = 25,
}

/** ProtocolVersion values as they appear on the wire. */
export const SSLV2_VERSION = 0x0002;
export const SSLV3_VERSION = 0x0300;
export const TLSV1_VERSION = 0x0301;
export const TLSV1DOT1_VERSION = 0x0302;
export const TLSV1DOT2_VERSION = 0x0303;
export const TLSV1DOT3_VERSION = 0x0304;
/** GB/T 38636-2020 (TLCP), which Wireshark accepts as a record version. */
export const TLCPV1_VERSION = 0x0101;

/** Largest TLSPlaintext fragment, 2^14 (RFC 8446 §5.1). */
export const TLS_MAX_RECORD_LENGTH = 16384;

/** A record's length as read from its header can never exceed this many bytes (2-byte length field). */
export const MAX_RECORD_BYTES = REC_HEADER_LEN + 0xffff;

export function isValidContentType(t: number): boolean {
  return t >= ContentType.ChangeCipherSpec && t <= ContentType.Tls12Cid;
}

/** Wireshark's short protocol names, which tshark puts in the Protocol column. */
export function versionShortName(v: number): string | null {
  switch (v) {
    case SSLV2_VERSION: return 'SSLv2';
    case SSLV3_VERSION: return 'SSLv3';
    case TLSV1_VERSION: return 'TLSv1';
    case TLSV1DOT1_VERSION: return 'TLSv1.1';
    case TLSV1DOT2_VERSION: return 'TLSv1.2';
    case TLSV1DOT3_VERSION: return 'TLSv1.3';
    default: return null;
  }
}

/** The version names of Wireshark's details ("TLS 1.2"), by version number. */
export const VERSION_NAMES: Readonly<Record<number, string>> = {
  [SSLV2_VERSION]: 'SSL 2.0', [SSLV3_VERSION]: 'SSL 3.0', [TLSV1_VERSION]: 'TLS 1.0', [TLSV1DOT1_VERSION]: 'TLS 1.1',
  [TLSV1DOT2_VERSION]: 'TLS 1.2', [TLSV1DOT3_VERSION]: 'TLS 1.3',
};

/** A version's name, or `0x` and its four hex digits after `prefix` for a number without one. */
export function versionName(v: number, prefix = ''): string {
  return VERSION_NAMES[v] ?? `${prefix}0x${v.toString(16).padStart(4, '0')}`;
}

/**
 * Whether `v` is a version a session can settle on. TLS 1.3 drafts (0x7f0e–0x7f1c) and
 * Facebook's draft variants count as TLS 1.3 when a Server Hello names them.
 */
export function isKnownVersion(v: number): boolean {
  return v === SSLV3_VERSION || v === TLSV1_VERSION || v === TLSV1DOT1_VERSION || v === TLSV1DOT2_VERSION ||
    v === TLSV1DOT3_VERSION;
}

/** The draft number of a TLS 1.3 draft version (0x7fXX, 0xfb17, 0xfb1a), 0 otherwise. */
export function tls13Draft(v: number): number {
  if ((v & 0xff00) === 0x7f00) return v & 0xff;
  if (v === 0xfb17) return 23; // Facebook's draft -23 variant
  if (v === 0xfb1a) return 26; // Facebook's draft -26 variant
  return 0;
}

/**
 * The start of a TCP payload that begins a TLS conversation: a Handshake or Application Data record
 * of a known version and a plausible length. IBM WebSphere sends the header and the body in
 * separate segments, so the body is not required to be present.
 */
export function looksLikeTlsStart(buf: Buffer, off: number, end: number): boolean {
  if (end - off < REC_HEADER_LEN) return false;
  const type = buf[off];
  if (type !== ContentType.Handshake && type !== ContentType.ApplicationData) return false;
  const v = (buf[off + 1] << 8) | buf[off + 2];
  if (v !== SSLV3_VERSION && v !== TLSV1_VERSION && v !== TLSV1DOT1_VERSION && v !== TLSV1DOT2_VERSION && v !== TLCPV1_VERSION) {
    return false;
  }
  const len = (buf[off + 3] << 8) | buf[off + 4];
  return len !== 0 && len < TLS_MAX_RECORD_LENGTH + 2048;
}

/**
 * An SSL 2.0-compatible Client Hello (RFC 5246 Appendix E.2): two-byte header with the high bit set
 * and a length under 256, message type 1, cipher specs a non-zero multiple of 3 bytes, a session id
 * of 0 or 16 bytes and a 32-byte challenge. The shortest is 46 bytes.
 */
export function isSslv2ClientHello(buf: Buffer, off: number, end: number): boolean {
  if (end - off < 46) return false;
  if (buf[off] !== 0x80 || buf[off + 2] !== 1) return false;
  const specLen = (buf[off + 5] << 8) | buf[off + 6];
  if (specLen === 0 || specLen % 3 !== 0) return false;
  const sidLen = (buf[off + 7] << 8) | buf[off + 8];
  if (sidLen !== 0 && sidLen !== 16) return false;
  return ((buf[off + 9] << 8) | buf[off + 10]) === 32;
}

/** SSL 2.0 message types (draft-hickman-netscape-ssl-00). */
export const enum Ssl2Msg {
  Error = 0,
  ClientHello = 1,
  ClientMasterKey = 2,
  ClientFinished = 3,
  ServerHello = 4,
  ServerVerify = 5,
  ServerFinished = 6,
  RequestCertificate = 7,
  ClientCertificate = 8,
}

export const SSL2_MSG_NAMES: Readonly<Record<number, string>> = {
  0: 'Error', 1: 'Client Hello', 2: 'Client Master Key', 3: 'Client Finished', 4: 'Server Hello',
  5: 'Server Verify', 6: 'Server Finished', 7: 'Request Certificate', 8: 'Client Certificate',
};

/** A v2 record start that could be an unencrypted handshake message (high bit set, known type). */
export function looksLikeSslv2(buf: Buffer, off: number, end: number): boolean {
  if (end - off < 3 || buf[off] < 0x80) return false;
  const t = buf[off + 2];
  return t === Ssl2Msg.Error || t === Ssl2Msg.ClientHello || t === Ssl2Msg.ClientMasterKey || t === Ssl2Msg.ServerHello;
}

/** The v2 ClientHello quirk: a session that already knows its version may still see one. */
export function isV2ClientHelloStart(buf: Buffer, off: number, end: number): boolean {
  return end - off >= 3 && buf[off] === 0x80 && buf[off + 2] === 1;
}

/** A v3/TLS record start: a valid content type and a version of SSL 3.0 … TLS 1.3. */
export function looksLikeSslv3(buf: Buffer, off: number, end: number): boolean {
  if (end - off < 3 || !isValidContentType(buf[off])) return false;
  const v = (buf[off + 1] << 8) | buf[off + 2];
  return v === SSLV3_VERSION || v === TLSV1_VERSION || v === TLSV1DOT1_VERSION || v === TLSV1DOT2_VERSION ||
    v === TLSV1DOT3_VERSION || v === TLCPV1_VERSION;
}

/**
 * SSL 2.0 record header length: 2 bytes when the high bit of the first byte is set, else 3 (with
 * padding). Returns the header length; the record length is read by `ssl2RecordLength`.
 */
export function ssl2HeaderLength(first: number): number {
  return (first & 0x80) !== 0 ? 2 : 3;
}

export function ssl2RecordLength(buf: Buffer, off: number): number {
  const b = buf[off];
  return (b & 0x80) !== 0 ? ((b & 0x7f) << 8) | buf[off + 1] : ((b & 0x3f) << 8) | buf[off + 1];
}

/** The SSL 2.0 version numbers Wireshark accepts inside a v2 Client/Server Hello. */
export function isValidSslVersion(v: number): boolean {
  return v === SSLV2_VERSION || isKnownVersion(v) || (v >= 0x7f0e && v <= 0x7f1c) || v === 0xfeff || v === 0xfefd || v === 0x0100;
}

/** Four printable ASCII characters: plain text, which no TLS conversation starts with. */
export function startsWithPrintable(buf: Buffer, off: number, end: number): boolean {
  if (end - off <= 4) return false;
  for (let i = 0; i < 4; i++) {
    const c = buf[off + i];
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Parse "443 465 1300-1302" into a bit per port. */
function portSet(list: string): Uint8Array {
  const bits = new Uint8Array(65536 >> 3);
  for (const item of list.split(' ')) {
    if (item === '') continue;
    const dash = item.indexOf('-');
    const first = Number(dash < 0 ? item : item.slice(0, dash));
    const last = dash < 0 ? first : Number(item.slice(dash + 1));
    for (let p = first; p <= last; p++) bits[p >> 3] |= 1 << (p & 7);
  }
  return bits;
}

const TLS_PORTS = portSet(TSHARK_TLS_TCP_PORTS);
const OTHER_PORTS = portSet(TSHARK_OTHER_TCP_PORTS);

/**
 * Ports on which Wireshark hands every segment to TLS without looking at it first (HTTPS, SMTPS,
 * LDAPS, DNS over TLS, IMAPS, POP3S, SIP-TLS, AMQPS, MQTT over TLS …).
 */
export function isTlsPort(port: number): boolean {
  return (TLS_PORTS[port >> 3] & (1 << (port & 7))) !== 0;
}

/** Ports another protocol owns in Wireshark (HTTP on 80/8080, AJP13 on 8009, SSH on 22 …). */
export function isOtherProtocolPort(port: number): boolean {
  return (OTHER_PORTS[port >> 3] & (1 << (port & 7))) !== 0;
}
