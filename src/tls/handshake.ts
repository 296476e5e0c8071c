// The TLS handshake protocol (RFC 8446 §4, RFC 5246 §7.4): message types, the Client and Server
// Hello with their extensions, Certificate lists, alerts, and the names Wireshark gives them.
// A `HelloView` is a reusable set of offsets into one Hello message, validated once by `parse`;
// fields and fingerprints read values through it and make strings only when something prints.

import { TLSV1DOT2_VERSION } from './records';

/** msg_type (1) + length (3), RFC 8446 §4. */
export const HS_HEADER_LEN = 4;

/** HandshakeType, RFC 8446 §4 and the IANA TLS HandshakeType registry. */
export const enum HandshakeType {
  HelloRequest = 0,
  ClientHello = 1,
  ServerHello = 2,
  HelloVerifyRequest = 3,
  NewSessionTicket = 4,
  EndOfEarlyData = 5,
  HelloRetryRequest = 6,
  EncryptedExtensions = 8,
  Certificate = 11,
  ServerKeyExchange = 12,
  CertificateRequest = 13,
  ServerHelloDone = 14,
  CertificateVerify = 15,
  ClientKeyExchange = 16,
  Finished = 20,
  CertificateUrl = 21,
  CertificateStatus = 22,
  SupplementalData = 23,
  KeyUpdate = 24,
  CompressedCertificate = 25,
  /** Next Protocol Negotiation's EncryptedExtensions (draft-agl-tls-nextprotoneg-04). */
  NpnEncryptedExtensions = 67,
}

/** Message names as Wireshark 4.0 writes them in the Info column (ssl_31_handshake_type). */
export const HANDSHAKE_NAMES: Readonly<Record<number, string>> = {
  0: 'Hello Request', 1: 'Client Hello', 2: 'Server Hello', 3: 'Hello Verify Request', 4: 'New Session Ticket',
  5: 'End of Early Data', 6: 'Hello Retry Request', 8: 'Encrypted Extensions', 11: 'Certificate',
  12: 'Server Key Exchange', 13: 'Certificate Request', 14: 'Server Hello Done', 15: 'Certificate Verify',
  16: 'Client Key Exchange', 20: 'Finished', 21: 'Client Certificate URL', 22: 'Certificate Status',
  23: 'Supplemental Data', 24: 'Key Update', 25: 'Compressed Certificate', 67: 'Encrypted Extensions',
};

export function isNamedHandshakeType(t: number): boolean {
  return HANDSHAKE_NAMES[t] !== undefined;
}

/**
 * Wireshark 4.0's guess that handshake bytes [p, end) are encrypted (Finished after
 * ChangeCipherSpec): an all-zero explicit nonce (GCM/CCM) unless `plain`, or a first byte that is no
 * handshake type, or a length of 64 KiB or more. Under 16 bytes they are plaintext (no cipher adds less).
 */
export function looksEncryptedHandshake(buf: Buffer, p: number, end: number, plain: boolean): boolean {
  if (end - p < 16) return false;
  let enc = !plain && buf[p] === 0 && buf[p + 1] === 0 && buf[p + 2] === 0 && buf[p + 3] === 0 && buf[p + 4] === 0;
  if (!enc) enc = !isNamedHandshakeType(buf[p]) || buf.readUIntBE(p + 1, 3) >= 0x10000;
  return enc;
}

/**
 * Message types after which a record's version is authoritative for the session (every valid
 * handshake type except Client Hello, whose record version is only a hint; Hello Verify Request is
 * DTLS-only).
 */
export function isValidHandshakeType(t: number): boolean {
  return t !== HandshakeType.HelloVerifyRequest && isNamedHandshakeType(t);
}

export const ALERT_LEVEL_NAMES: Readonly<Record<number, string>> = { 1: 'Warning', 2: 'Fatal' };

/** AlertDescription, RFC 8446 §6 and the IANA registry, with Wireshark 4.0's spelling. */
export const ALERT_DESC_NAMES: Readonly<Record<number, string>> = {
  0: 'Close Notify', 1: 'End of Early Data', 10: 'Unexpected Message', 20: 'Bad Record MAC', 21: 'Decryption Failed',
  22: 'Record Overflow', 30: 'Decompression Failure', 40: 'Handshake Failure', 41: 'No Certificate',
  42: 'Bad Certificate', 43: 'Unsupported Certificate', 44: 'Certificate Revoked', 45: 'Certificate Expired',
  46: 'Certificate Unknown', 47: 'Illegal Parameter', 48: 'Unknown CA', 49: 'Access Denied', 50: 'Decode Error',
  51: 'Decrypt Error', 60: 'Export Restriction', 70: 'Protocol Version', 71: 'Insufficient Security',
  80: 'Internal Error', 86: 'Inappropriate Fallback', 90: 'User Canceled', 100: 'No Renegotiation',
  109: 'Missing Extension', 110: 'Unsupported Extension', 111: 'Certificate Unobtainable', 112: 'Unrecognized Name',
  113: 'Bad Certificate Status Response', 114: 'Bad Certificate Hash Value', 115: 'Unknown PSK Identity',
  116: 'Certificate Required', 120: 'No application Protocol', 121: 'ECH Required',
};

/** ExtensionType numbers tcpwatch reads (IANA TLS ExtensionType Values). */
export const enum Ext {
  ServerName = 0,
  StatusRequest = 5,
  SupportedGroups = 10,
  EcPointFormats = 11,
  SignatureAlgorithms = 13,
  Alpn = 16,
  Padding = 21,
  EarlyData = 42,
  SupportedVersions = 43,
  PskKeyExchangeModes = 45,
  KeyShare = 51,
}

export const EXTENSION_NAMES: Readonly<Record<number, string>> = {
  0: 'server_name', 1: 'max_fragment_length', 2: 'client_certificate_url', 3: 'trusted_ca_keys', 4: 'truncated_hmac',
  5: 'status_request', 6: 'user_mapping', 7: 'client_authz', 8: 'server_authz', 9: 'cert_type', 10: 'supported_groups',
  11: 'ec_point_formats', 12: 'srp', 13: 'signature_algorithms', 14: 'use_srtp', 15: 'heartbeat',
  16: 'application_layer_protocol_negotiation', 17: 'status_request_v2', 18: 'signed_certificate_timestamp',
  19: 'client_certificate_type', 20: 'server_certificate_type', 21: 'padding', 22: 'encrypt_then_mac',
  23: 'extended_master_secret', 24: 'token_binding', 25: 'cached_info', 27: 'compress_certificate',
  28: 'record_size_limit', 34: 'delegated_credentials', 35: 'session_ticket', 41: 'pre_shared_key', 42: 'early_data',
  43: 'supported_versions', 44: 'cookie', 45: 'psk_key_exchange_modes', 47: 'certificate_authorities',
  48: 'oid_filters', 49: 'post_handshake_auth', 50: 'signature_algorithms_cert', 51: 'key_share',
  52: 'transparency_info', 54: 'connection_id', 57: 'quic_transport_parameters', 13172: 'next_protocol_negotiation',
  17513: 'application_settings', 65281: 'renegotiation_info', 65486: 'encrypted_server_name',
};

/** GREASE values (RFC 8701): 0x?a?a with both bytes equal. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

/** SHA-256("HelloRetryRequest"): the Server Hello random that marks a HelloRetryRequest, RFC 8446 §4.1.3. */
export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
const RANDOM_LEN = 32;

/** Why a Hello failed to parse completely (the first problem found). */
export const enum HelloProblem {
  None = 0,
  Truncated = 1,
  SessionIdLength = 2,
  CipherSuitesLength = 3,
  CompressionLength = 4,
  ExtensionsLength = 5,
  ExtensionLength = 6,
  ExtensionBody = 7,
}

/**
 * Offsets into one Client or Server Hello. Lists are [off, end) ranges of their items inside `buf`;
 * -1 means absent. Extension bodies are checked against their own lengths, so a reader of a list
 * never leaves it.
 */
export class HelloView {
  buf: Buffer = Buffer.alloc(0);
  /** HandshakeType.ClientHello or ServerHello. */
  type = 0;
  msgOff = 0;
  bodyEnd = 0;
  version = 0;
  randomOff = -1;
  sessionIdOff = -1;
  sessionIdLen = 0;
  cipherOff = -1;
  cipherEnd = -1;
  compOff = -1;
  compEnd = -1;
  /** The extension entries (type, length, body) and how many there are. */
  extOff = -1;
  extEnd = -1;
  extCount = 0;
  sniOff = -1;
  sniEnd = -1;
  alpnOff = -1;
  alpnEnd = -1;
  /** Client: the versions list; server: the selected version (2 bytes). */
  svOff = -1;
  svEnd = -1;
  groupsOff = -1;
  groupsEnd = -1;
  /** Client: KeyShareEntry list; server: one entry; HelloRetryRequest: the selected group. */
  keyShareOff = -1;
  keyShareEnd = -1;
  sigAlgOff = -1;
  sigAlgEnd = -1;
  pskModesOff = -1;
  pskModesEnd = -1;
  pointFormatsOff = -1;
  pointFormatsEnd = -1;
  earlyData = false;
  isHrr = false;
  problem: HelloProblem = HelloProblem.None;

  private clear(): void {
    this.version = 0;
    this.randomOff = this.sessionIdOff = this.cipherOff = this.cipherEnd = this.compOff = this.compEnd = -1;
    this.sessionIdLen = 0;
    this.extOff = this.extEnd = -1;
    this.extCount = 0;
    this.sniOff = this.sniEnd = this.alpnOff = this.alpnEnd = this.svOff = this.svEnd = -1;
    this.groupsOff = this.groupsEnd = this.keyShareOff = this.keyShareEnd = this.sigAlgOff = this.sigAlgEnd = -1;
    this.pskModesOff = this.pskModesEnd = this.pointFormatsOff = this.pointFormatsEnd = -1;
    this.earlyData = false;
    this.isHrr = false;
    this.certExtCount = 0;
    this.problem = HelloProblem.None;
  }

  /**
   * Parse the Hello whose handshake header starts at `msgOff` and whose body ends at `bodyEnd`
   * (both inside `buf`). Returns false when something did not fit; what was read before stays valid.
   */
  parse(buf: Buffer, msgOff: number, bodyEnd: number): boolean {
    this.clear();
    this.buf = buf;
    this.msgOff = msgOff;
    this.bodyEnd = bodyEnd;
    this.type = buf[msgOff];
    const client = this.type === HandshakeType.ClientHello;
    let p = msgOff + HS_HEADER_LEN;
    const end = bodyEnd;
    if (end - p < 2) return this.fail(HelloProblem.Truncated);
    this.version = buf.readUInt16BE(p);
    p += 2;
    if (end - p < RANDOM_LEN) return this.fail(HelloProblem.Truncated);
    this.randomOff = p;
    if (!client) this.isHrr = buf.compare(HRR_RANDOM, 0, RANDOM_LEN, p, p + RANDOM_LEN) === 0;
    p += RANDOM_LEN;
    // legacy_session_id<0..32>
    if (end - p < 1) return this.fail(HelloProblem.Truncated);
    const sidLen = buf[p];
    if (sidLen > 32 || end - p - 1 < sidLen) return this.fail(HelloProblem.SessionIdLength);
    this.sessionIdOff = p + 1;
    this.sessionIdLen = sidLen;
    p += 1 + sidLen;
    if (client) {
      // cipher_suites<2..2^16-2>
      if (end - p < 2) return this.fail(HelloProblem.Truncated);
      const csLen = buf.readUInt16BE(p);
      if (csLen < 2 || end - p - 2 < csLen) return this.fail(HelloProblem.CipherSuitesLength);
      this.cipherOff = p + 2;
      this.cipherEnd = p + 2 + csLen;
      p = this.cipherEnd;
      // legacy_compression_methods<1..2^8-1>
      if (end - p < 1) return this.fail(HelloProblem.Truncated);
      const cmLen = buf[p];
      if (cmLen < 1 || end - p - 1 < cmLen) return this.fail(HelloProblem.CompressionLength);
      this.compOff = p + 1;
      this.compEnd = p + 1 + cmLen;
      p = this.compEnd;
    } else {
      if (end - p < 3) return this.fail(HelloProblem.Truncated);
      this.cipherOff = p;
      this.cipherEnd = p + 2;
      this.compOff = p + 2;
      this.compEnd = p + 3;
      p += 3;
    }
    // SSL 3.0 has no extensions, so the block may be missing altogether.
    if (p === end) return true;
    if (end - p < 2) return this.fail(HelloProblem.ExtensionsLength);
    const extLen = buf.readUInt16BE(p);
    if (end - p - 2 < extLen) return this.fail(HelloProblem.ExtensionsLength);
    this.extOff = p + 2;
    this.extEnd = p + 2 + extLen;
    return this.parseExtensions(client);
  }

  /**
   * Parse a message that holds only what the fields of a Hello also show: EncryptedExtensions (RFC
   * 8446 §4.3.1, an extension block) or CertificateVerify (§4.4.3, its signature scheme first).
   * Decryption adds these messages; tshark lists their items under the same fields.
   */
  parseOther(buf: Buffer, msgOff: number, bodyEnd: number, sessionVersion: number): boolean {
    this.clear();
    this.buf = buf;
    this.msgOff = msgOff;
    this.bodyEnd = bodyEnd;
    this.type = buf[msgOff];
    let p = msgOff + HS_HEADER_LEN;
    const tls13 = sessionVersion === 0x0304;
    switch (this.type) {
      case HandshakeType.CertificateVerify:
        // TLS 1.2 and 1.3 name the signature scheme first (RFC 5246 §7.4.8 digitally-signed)
        if (sessionVersion < 0x0303 || bodyEnd - p < 2) return true;
        this.sigAlgOff = p;
        this.sigAlgEnd = p + 2;
        return true;
      case HandshakeType.ServerKeyExchange: {
        // TLS 1.2 (EC)DHE parameters, then a digitally-signed struct: scheme(2) signature<0..2^16-1>
        if (sessionVersion !== 0x0303) return true;
        if (bodyEnd - p >= 4 && buf[p] === 3) p += 3 + 1 + buf[p + 3]; // named_curve, ECPoint<1..255>
        else for (let k = 0; k < 3 && bodyEnd - p >= 2; k++) p += 2 + buf.readUInt16BE(p); // dh_p, dh_g, dh_Ys
        if (bodyEnd - p >= 4 && buf.readUInt16BE(p + 2) === bodyEnd - p - 4) {
          this.sigAlgOff = p;
          this.sigAlgEnd = p + 2;
        }
        return true;
      }
      case HandshakeType.NewSessionTicket:
        // RFC 8446 §4.6.1: lifetime(4) age_add(4) nonce<0..255> ticket<1..2^16-1> extensions
        if (!tls13 || bodyEnd - p < 9) return true;
        p += 8;
        p += 1 + buf[p];
        if (bodyEnd - p < 2) return true;
        p += 2 + buf.readUInt16BE(p);
        break;
      case HandshakeType.Certificate: {
        // RFC 8446 §4.4.2: context<0..255>, then entries of cert_data<1..2^24-1> extensions<0..2^16-1>
        if (!tls13 || bodyEnd - p < 4) return true;
        p += 1 + buf[p];
        if (bodyEnd - p < 3) return true;
        const end = Math.min(bodyEnd, p + 3 + buf.readUIntBE(p, 3));
        p += 3;
        while (end - p >= 3 && this.certExtCount < this.certExtLen.length) {
          p += 3 + buf.readUIntBE(p, 3);
          if (end - p < 2) break;
          const n = buf.readUInt16BE(p);
          this.certExtLen[this.certExtCount++] = n;
          p += 2 + n;
        }
        return true;
      }
    }
    if (this.type !== HandshakeType.EncryptedExtensions && this.type !== HandshakeType.NewSessionTicket) return true;
    if (bodyEnd - p < 2) return this.fail(HelloProblem.ExtensionsLength);
    const extLen = buf.readUInt16BE(p);
    if (bodyEnd - p - 2 < extLen) return this.fail(HelloProblem.ExtensionsLength);
    this.extOff = p + 2;
    this.extEnd = p + 2 + extLen;
    return this.parseExtensions(false);
  }

  /** TLS 1.3 Certificate: the extensions length of each entry (tls.handshake.extensions_length), up to 16. */
  readonly certExtLen = new Int32Array(16);
  certExtCount = 0;

  private parseExtensions(client: boolean): boolean {
    const buf = this.buf;
    const end = this.extEnd;
    let p = this.extOff;
    while (end - p >= 4) {
      const type = buf.readUInt16BE(p);
      const len = buf.readUInt16BE(p + 2);
      const body = p + 4;
      if (end - body < len) return this.fail(HelloProblem.ExtensionLength);
      this.extCount++;
      if (!this.extension(type, body, body + len, client)) return this.fail(HelloProblem.ExtensionBody);
      p = body + len;
    }
    if (p !== end) return this.fail(HelloProblem.ExtensionLength);
    return true;
  }

  /** Record where the items of a known extension lie; false when its inner lengths do not fit. */
  private extension(type: number, p: number, end: number, client: boolean): boolean {
    const buf = this.buf;
    const n = end - p;
    switch (type) {
      case Ext.ServerName: {
        // ServerNameList server_name_list<1..2^16-1>; a server answers with an empty body.
        if (n === 0) return true;
        if (n < 2 || buf.readUInt16BE(p) > n - 2) return false;
        if (this.sniOff < 0) { this.sniOff = p + 2; this.sniEnd = p + 2 + buf.readUInt16BE(p); }
        return listFits(buf, this.sniOff, this.sniEnd, 1, 2);
      }
      case Ext.Alpn: {
        // ProtocolName protocol_name_list<2..2^16-1>, each ProtocolName<1..2^8-1>
        if (n < 2 || buf.readUInt16BE(p) > n - 2) return false;
        if (this.alpnOff < 0) { this.alpnOff = p + 2; this.alpnEnd = p + 2 + buf.readUInt16BE(p); }
        return listFits(buf, this.alpnOff, this.alpnEnd, 0, 1);
      }
      case Ext.SupportedVersions:
        if (client) {
          // ProtocolVersion versions<2..254>
          if (n < 1 || buf[p] > n - 1 || (buf[p] & 1) !== 0) return false;
          if (this.svOff < 0) { this.svOff = p + 1; this.svEnd = p + 1 + buf[p]; }
        } else {
          if (n !== 2) return false;
          if (this.svOff < 0) { this.svOff = p; this.svEnd = p + 2; }
        }
        return true;
      case Ext.SupportedGroups:
        if (n < 2 || buf.readUInt16BE(p) > n - 2) return false;
        if (this.groupsOff < 0) { this.groupsOff = p + 2; this.groupsEnd = p + 2 + (buf.readUInt16BE(p) & ~1); }
        return true;
      case Ext.SignatureAlgorithms:
        if (n < 2 || buf.readUInt16BE(p) > n - 2) return false;
        if (this.sigAlgOff < 0) { this.sigAlgOff = p + 2; this.sigAlgEnd = p + 2 + (buf.readUInt16BE(p) & ~1); }
        return true;
      case Ext.EcPointFormats:
        if (n < 1 || buf[p] > n - 1) return false;
        if (this.pointFormatsOff < 0) { this.pointFormatsOff = p + 1; this.pointFormatsEnd = p + 1 + buf[p]; }
        return true;
      case Ext.PskKeyExchangeModes:
        if (n < 1 || buf[p] > n - 1) return false;
        if (this.pskModesOff < 0) { this.pskModesOff = p + 1; this.pskModesEnd = p + 1 + buf[p]; }
        return true;
      case Ext.KeyShare:
        if (client) {
          // KeyShareEntry client_shares<0..2^16-1>, each group (2) + key_exchange<1..2^16-1>
          if (n < 2 || buf.readUInt16BE(p) > n - 2) return false;
          if (this.keyShareOff < 0) { this.keyShareOff = p + 2; this.keyShareEnd = p + 2 + buf.readUInt16BE(p); }
          return listFits(buf, this.keyShareOff, this.keyShareEnd, 2, 2);
        }
        if (this.isHrr) {
          if (n !== 2) return false;
        } else if (n < 4 || buf.readUInt16BE(p + 2) !== n - 4) {
          return false;
        }
        if (this.keyShareOff < 0) { this.keyShareOff = p; this.keyShareEnd = end; }
        return true;
      case Ext.EarlyData:
        if (client) this.earlyData = true;
        return true;
      default:
        return true;
    }
  }

  private fail(problem: HelloProblem): false {
    this.problem = problem;
    return false;
  }

  /** The version the Hello stands for: the highest non-GREASE supported_versions entry, else legacy_version. */
  negotiatedVersion(): number {
    if (this.svOff < 0) return this.version;
    let best = -1;
    for (let q = this.svOff; q + 2 <= this.svEnd; q += 2) {
      const v = this.buf.readUInt16BE(q);
      if (!isGrease(v) && v > best) best = v;
    }
    return best < 0 ? this.version : best;
  }

  /** Number of key_share groups (client list, or 1 for a server entry / HRR). */
  keyShareGroupCount(): number {
    // A HelloRetryRequest names a selected group, which tshark shows under another field
    if (this.keyShareOff < 0 || this.isHrr) return 0;
    if (this.type !== HandshakeType.ClientHello) return 1;
    let n = 0;
    for (let q = this.keyShareOff; this.keyShareEnd - q >= 4; q += 4 + this.buf.readUInt16BE(q + 2)) n++;
    return n;
  }

  keyShareGroup(i: number): number {
    if (this.type !== HandshakeType.ClientHello) return this.buf.readUInt16BE(this.keyShareOff);
    let q = this.keyShareOff;
    for (let k = 0; k < i; k++) q += 4 + this.buf.readUInt16BE(q + 2);
    return this.buf.readUInt16BE(q);
  }
}

/**
 * Whether a list of length-prefixed items (each `fixed` bytes, then a `lenBytes`-byte length and
 * that many bytes) fills [off, end) exactly.
 */
function listFits(buf: Buffer, off: number, end: number, fixed: number, lenBytes: number): boolean {
  let q = off;
  while (q < end) {
    if (end - q < fixed + lenBytes) return false;
    const len = lenBytes === 1 ? buf[q + fixed] : buf.readUInt16BE(q + fixed);
    q += fixed + lenBytes + len;
    if (q > end) return false;
  }
  return true;
}

/** Count of length-prefixed strings in [off, end) (server names: 1-byte type + 2-byte length; ALPN: 1-byte length). */
export function countItems(buf: Buffer, off: number, end: number, fixed: number, lenBytes: number): number {
  let n = 0;
  for (let q = off; end - q >= fixed + lenBytes;) {
    const len = lenBytes === 1 ? buf[q + fixed] : buf.readUInt16BE(q + fixed);
    if (q + fixed + lenBytes + len > end) break;
    q += fixed + lenBytes + len;
    n++;
  }
  return n;
}

/** Offset of the text of item i (after its type and length) and its length, written to `out`. */
export function itemAt(buf: Buffer, off: number, end: number, fixed: number, lenBytes: number, i: number, out: Int32Array): boolean {
  let k = 0;
  for (let q = off; end - q >= fixed + lenBytes;) {
    const len = lenBytes === 1 ? buf[q + fixed] : buf.readUInt16BE(q + fixed);
    if (q + fixed + lenBytes + len > end) return false;
    if (k === i) {
      out[0] = q + fixed + lenBytes;
      out[1] = len;
      return true;
    }
    q += fixed + lenBytes + len;
    k++;
  }
  return false;
}

/**
 * The version a Server Hello settles on: supported_versions when present (TLS 1.3, RFC 8446
 * §4.2.1), else legacy_version. Also reports a HelloRetryRequest. Reads only what fits in
 * [bodyOff, bodyEnd); `out[0]` = version, `out[1]` = 1 for HRR.
 */
export function scanServerHello(buf: Buffer, bodyOff: number, bodyEnd: number, out: Int32Array): void {
  let p = bodyOff;
  out[1] = 0;
  out[0] = bodyEnd - p >= 2 ? buf.readUInt16BE(p) : 0;
  // version, random, session id length (35) + cipher, compression, extensions length (5) + one extension (6)
  if (out[0] !== TLSV1DOT2_VERSION || bodyEnd - p < 46) return;
  p += 2;
  out[1] = buf.compare(HRR_RANDOM, 0, RANDOM_LEN, p, p + RANDOM_LEN) === 0 ? 1 : 0;
  p += RANDOM_LEN;
  const sid = buf[p];
  p++;
  if (bodyEnd - p < sid + 5) return;
  p += sid + 5;
  while (bodyEnd - p >= 6) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    if (bodyEnd - p < 4 + len) break;
    if (type === Ext.SupportedVersions && len === 2) {
      out[0] = buf.readUInt16BE(p + 4);
      return;
    }
    p += 4 + len;
  }
}

// ---- Certificate (RFC 5246 §7.4.2, RFC 8446 §4.4.2) and X.509 names (RFC 5280 §4.1) ----

/** Most certificates a chain is read for (more are counted, not listed). */
export const MAX_CERTS = 16;

/**
 * Where the certificates of a Certificate message lie: `offs`/`lens` get each DER certificate.
 * TLS 1.3 adds a request context and per-entry extensions. Returns how many were found, or -1 when
 * the lengths do not add up.
 */
export function certificateList(buf: Buffer, bodyOff: number, bodyEnd: number, tls13: boolean, offs: Int32Array, lens: Int32Array): number {
  let p = bodyOff;
  if (tls13) {
    if (bodyEnd - p < 1 || buf[p] > bodyEnd - p - 1) return -1;
    p += 1 + buf[p];
  }
  if (bodyEnd - p < 3) return -1;
  const listLen = buf.readUIntBE(p, 3);
  p += 3;
  if (listLen > bodyEnd - p) return -1;
  const end = p + listLen;
  let n = 0;
  while (p < end) {
    if (end - p < 3) return -1;
    const len = buf.readUIntBE(p, 3);
    p += 3;
    if (len > end - p) return -1;
    if (n < offs.length) {
      offs[n] = p;
      lens[n] = len;
    }
    n++;
    p += len;
    if (tls13) {
      if (end - p < 2 || buf.readUInt16BE(p) > end - p - 2) return -1;
      p += 2 + buf.readUInt16BE(p);
    }
  }
  return n;
}

/** A DER TLV header read by `derAt`: tag, where the contents start and how long they are. */
const tlv = new Int32Array(3);

/**
 * Read the TLV header at `off` (contents must fit before `end`): returns the tag, or -1 when it is
 * not DER or does not fit; contents start at tlv[1], length tlv[2].
 */
function derAt(buf: Buffer, off: number, end: number): number {
  if (end - off < 2) return -1;
  const tag = buf[off];
  let len = buf[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const nb = len & 0x7f;
    // Certificates are far smaller than 2^32; longer or indefinite forms are not DER.
    if (nb === 0 || nb > 4 || end - p < nb) return -1;
    len = 0;
    for (let i = 0; i < nb; i++) len = len * 256 + buf[p + i];
    p += nb;
  }
  if (len > end - p) return -1;
  tlv[1] = p;
  tlv[2] = len;
  return tag;
}

const DER_SEQUENCE = 0x30;
const DER_SET = 0x31;
const DER_OID = 0x06;
/** id-at-commonName, 2.5.4.3 */
const OID_CN = [0x55, 0x04, 0x03];

/**
 * The Common Name of a certificate's subject (`subject` true) or issuer: offset of the string
 * contents in out[0], length in out[1], DER string tag in out[2]. False when absent or not DER.
 */
export function certificateCommonName(buf: Buffer, certOff: number, certLen: number, subject: boolean, out: Int32Array): boolean {
  const certEnd = certOff + certLen;
  if (derAt(buf, certOff, certEnd) !== DER_SEQUENCE) return false;
  // tbsCertificate
  if (derAt(buf, tlv[1], tlv[1] + tlv[2]) !== DER_SEQUENCE) return false;
  const tbsEnd = tlv[1] + tlv[2];
  let p = tlv[1];
  // [0] version (optional), serialNumber, signature, issuer, validity, subject
  const want = subject ? 4 : 2;
  let idx = 0;
  let first = true;
  while (p < tbsEnd) {
    const tag = derAt(buf, p, tbsEnd);
    if (tag < 0) return false;
    const cOff = tlv[1], cLen = tlv[2];
    if (first && tag === 0xa0) {
      p = cOff + cLen;
      first = false;
      continue;
    }
    first = false;
    if (idx === want) return tag === DER_SEQUENCE && nameCommonName(buf, cOff, cOff + cLen, out);
    idx++;
    p = cOff + cLen;
  }
  return false;
}

/** Find CN in a Name (SEQUENCE OF SET OF AttributeTypeAndValue). */
function nameCommonName(buf: Buffer, off: number, end: number, out: Int32Array): boolean {
  let p = off;
  while (p < end) {
    if (derAt(buf, p, end) !== DER_SET) return false;
    const setEnd = tlv[1] + tlv[2];
    let q = tlv[1];
    p = setEnd;
    while (q < setEnd) {
      if (derAt(buf, q, setEnd) !== DER_SEQUENCE) return false;
      const atvEnd = tlv[1] + tlv[2];
      const atvOff = tlv[1];
      q = atvEnd;
      if (derAt(buf, atvOff, atvEnd) !== DER_OID) return false;
      const oidOff = tlv[1], oidLen = tlv[2];
      const valOff = oidOff + oidLen;
      if (oidLen === 3 && buf[oidOff] === OID_CN[0] && buf[oidOff + 1] === OID_CN[1] && buf[oidOff + 2] === OID_CN[2]) {
        const tag = derAt(buf, valOff, atvEnd);
        if (tag < 0) return false;
        out[0] = tlv[1];
        out[1] = tlv[2];
        out[2] = tag;
        return true;
      }
    }
  }
  return false;
}

/** Text of a DER string (UTF8String, PrintableString, IA5String, T61String, BMPString). */
export function derStringText(buf: Buffer, off: number, len: number, tag: number): string {
  if (tag === 0x1e) {
    // BMPString: UTF-16BE
    let s = '';
    for (let i = 0; i + 1 < len; i += 2) s += String.fromCharCode(buf.readUInt16BE(off + i));
    return s;
  }
  if (tag === 0x14) return buf.toString('latin1', off, off + len);
  return buf.toString('utf8', off, off + len);
}
