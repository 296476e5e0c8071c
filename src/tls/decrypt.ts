// Record decryption for one TLS connection, given its records in order per direction and a key
// log. The decryptor follows the handshake itself (Client/Server Hello, ChangeCipherSpec,
// Finished, EndOfEarlyData, KeyUpdate), so all it needs from the dissector is each record's
// direction, content type, version and fragment.
//
// Every record's tag or MAC is verified: a record that fails says so (AuthFailed) and its bytes are
// never passed on as plaintext. Records that arrive before their secrets are in the key log (a
// live capture of a client that writes SSLKEYLOGFILE a moment after the packet) wait in a small
// queue and are decrypted when the secrets appear; their results go to `onLateRecord`.

import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CipherKind, CipherSuite, cipherSuite, HashName, hashLen } from './cipher-suites';
import type { KeyLog, SessionSecrets } from './keylog';
import { keyBlock, nextTrafficSecret, SSL3_0, TLS1_1, TLS1_3, trafficKeys } from './key-schedule';

// Content types, RFC 8446 §5.1 / RFC 5246 §6.2.1
export const CT_CHANGE_CIPHER_SPEC = 20;
export const CT_ALERT = 21;
export const CT_HANDSHAKE = 22;
export const CT_APPLICATION_DATA = 23;

// Handshake message types, RFC 8446 §4 / RFC 5246 §7.4
const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_END_OF_EARLY_DATA = 5;
const HS_FINISHED = 20;
const HS_KEY_UPDATE = 24;

// Extensions
const EXT_ENCRYPT_THEN_MAC = 0x0016; // RFC 7366
const EXT_EARLY_DATA = 0x002a; // RFC 8446 §4.2.10
const EXT_SUPPORTED_VERSIONS = 0x002b; // RFC 8446 §4.2.1

/** ServerHello.random of a HelloRetryRequest, RFC 8446 §4.1.3. */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

const RANDOM_LEN = 32;
const RECORD_HEADER_LEN = 5;
/** RFC 8446 §5.2: ciphertext may exceed 2^14 by at most 256; older versions allow 2048. */
const MAX_CIPHERTEXT = (1 << 14) + 2048;
/** Hello messages larger than this are not parsed (a Client Hello is normally < 2 KiB). */
const MAX_HELLO_LEN = 64 * 1024;

/** What became of a record. */
export const enum RecordStatus {
  /** Sent before protection began in its direction (hellos, ChangeCipherSpec, early alerts). */
  Plaintext = 0,
  /** Decrypted and its tag/MAC verified. */
  Decrypted = 1,
  /** Protected, and the key log has no secrets for it (or the handshake was not captured). */
  NoKeys = 2,
  /** Protected, keys known, and the tag/MAC/padding did not verify: tampered, or not what it seems. */
  AuthFailed = 3,
  /** Protected with a cipher suite tcpwatch cannot decrypt. */
  Unsupported = 4,
}

export const RECORD_STATUS_NAMES = ['plaintext', 'decrypted', 'encrypted-without-keys', 'authentication-failed', 'unsupported-cipher-suite'];

/** Which traffic secret protects a TLS 1.3 record. */
export const enum Epoch {
  None = 0,
  Early = 1,
  Handshake = 2,
  Application = 3,
}

export interface RecordResult {
  status: RecordStatus;
  /** The record's content type; for TLS 1.3 the inner type once decrypted (outer type otherwise). */
  contentType: number;
  /** Decrypted: the plaintext (owned). Plaintext: the fragment as given. Otherwise null. */
  data: Buffer | null;
  /** Why a record failed or stays encrypted ('' when decrypted or plaintext). */
  reason: string;
  /** Sequence number of the record under its key (0 for plaintext). */
  seq: number;
  /** TLS 1.3: the secret that protects it; Epoch.None before TLS 1.3 or when plaintext. */
  epoch: Epoch;
  /** TLS 1.3: how many KeyUpdates preceded it in its direction. */
  keyGeneration: number;
}

/** Shared by all connections of a capture: the key log and a bound on records waiting for keys. */
export class DecryptContext {
  /** Bytes of ciphertext queued across all connections while waiting for secrets. */
  pendingBytes = 0;
  constructor(
    readonly keylog: KeyLog,
    /** Most queued bytes across connections; beyond it, records without keys are not kept. */
    readonly pendingLimit = 16 * 1024 * 1024,
    /**
     * Keep records whose secrets are not in the key log yet, for when they arrive: for live
     * capture, where a client writes its key log a moment after the packets go out.
     */
    readonly waitForKeys = true,
  ) {}
}

const REASON_CHAINED_IV = 'bad record MAC in the previous record, whose last block is this IV';

/**
 * Live capture: how long the key log is waited on, once per direction and key, when a record's
 * secret is not in it yet (a client writes it a moment after the packet leaves).
 */
const LIVE_KEY_WAIT_MS = 25;

/** Most records and bytes a direction keeps while waiting for its secrets. */
const PENDING_MAX_RECORDS = 64;
const PENDING_MAX_BYTES = 512 * 1024;

/** Session parameters a direction's protection was set up with (a snapshot: renegotiation changes them). */
interface SessionParams {
  clientRandom: Buffer;
  serverRandom: Buffer;
  version: number;
  suite: CipherSuite | undefined;
  suiteId: number;
  encryptThenMac: boolean;
}

/** Keys of one direction under one secret. */
interface RecordKeys {
  key: Buffer;
  iv: Buffer;
  macKey: Buffer;
}

interface PendingRecord {
  contentType: number;
  version: number;
  fragment: Buffer;
  tag: number;
}

/** Reads handshake messages out of a direction's handshake byte stream, across record boundaries. */
class HandshakeReader {
  private readonly hdr = Buffer.alloc(4);
  private hdrFill = 0;
  private type = 0;
  private len = 0;
  private got = 0;
  private body: Buffer | null = null;

  reset(): void {
    this.hdrFill = 0;
    this.body = null;
  }

  /** Feed bytes; `onMessage(type, body)` for each complete message (body only for hellos and KeyUpdate). */
  feed(data: Buffer, onMessage: (type: number, body: Buffer | null) => void): void {
    let i = 0;
    while (i < data.length) {
      if (this.hdrFill < 4) {
        this.hdr[this.hdrFill++] = data[i++];
        if (this.hdrFill < 4) continue;
        this.type = this.hdr[0];
        this.len = this.hdr.readUIntBE(1, 3);
        this.got = 0;
        const wanted = this.type === HS_CLIENT_HELLO || this.type === HS_SERVER_HELLO || this.type === HS_KEY_UPDATE;
        this.body = wanted && this.len <= MAX_HELLO_LEN ? Buffer.allocUnsafe(this.len) : null;
      } else {
        const n = Math.min(this.len - this.got, data.length - i);
        if (this.body !== null) data.copy(this.body, this.got, i, i + n);
        this.got += n;
        i += n;
      }
      if (this.hdrFill === 4 && this.got === this.len) {
        const body = this.body;
        this.hdrFill = 0;
        this.body = null;
        onMessage(this.type, body);
      }
    }
  }
}

/** One direction of the connection: its protection state and its handshake stream. */
class Side {
  /** Records of this side are protected (TLS ≤ 1.2: after its ChangeCipherSpec; 1.3: after the hellos). */
  encrypted = false;
  params: SessionParams | null = null;
  keys: RecordKeys | null = null;
  seq = 0;
  /** TLS 1.0 and SSL 3.0 CBC: the next record's IV is the last ciphertext block of the previous one. */
  cbcIv: Buffer | null = null;
  /** The last record failed: its last block, this record's IV, may be damaged (TLS 1.0 / SSL 3.0 CBC). */
  cbcIvSuspect = false;
  epoch = Epoch.None;
  keyGeneration = 0;
  /** TLS 1.3: the current traffic secret, once known. */
  secret: Buffer | null = null;
  readonly hs = new HandshakeReader();
  pending: PendingRecord[] = [];
  pendingBytes = 0;
  /** Too much waited for keys that never came: no more queueing on this side. */
  gaveUpWaiting = false;
  /** Live capture: the key log was waited on for the current keys once already (it is not again). */
  waited = false;

  constructor(readonly isClient: boolean) {}

  /** Start protection under new keys (ChangeCipherSpec, a new TLS 1.3 epoch, KeyUpdate). */
  rekey(params: SessionParams | null, epoch: Epoch): void {
    this.encrypted = true;
    this.waited = false;
    this.params = params;
    this.keys = null;
    this.seq = 0;
    this.cbcIv = null;
    this.cbcIvSuspect = false;
    this.epoch = epoch;
  }
}

export interface DecryptorStats {
  plaintext: number;
  decrypted: number;
  noKeys: number;
  authFailed: number;
  unsupported: number;
}

/** Decrypts the records of one TCP connection; `dir` is the TCP direction (0 or 1) of each record. */
export class TlsDecryptor {
  /** TCP direction of the client (the side that sent the Client Hello), -1 until known. */
  clientDir = -1;
  clientRandom: Buffer | null = null;
  serverRandom: Buffer | null = null;
  /** Negotiated version (supported_versions of the Server Hello when present), 0 until known. */
  version = 0;
  cipherSuiteId = -1;
  encryptThenMac = false;
  /** The key log had secrets for this session when protection began (or later). */
  keysFound = false;
  readonly stats: DecryptorStats = { plaintext: 0, decrypted: 0, noKeys: 0, authFailed: 0, unsupported: 0 };
  /** Results for records that waited for their secrets; `tag` is what was passed with the record. */
  onLateRecord: ((tag: number, dir: number, result: RecordResult) => void) | null = null;

  private readonly client = new Side(true);
  private readonly server = new Side(false);
  private clientOfferedEtm = false;
  private serverHelloSeen = false;
  /** TLS 1.3 cipher suites the Client Hello offered, in its order (for early data before the Server Hello). */
  private offeredTls13Suites: number[] = [];
  /** The server asked for a second Client Hello: early data of the first is refused. */
  private helloRetried = false;

  constructor(private readonly ctx: DecryptContext) {}

  /** The current session's cipher suite, when tcpwatch can decrypt it. */
  get suite(): CipherSuite | undefined {
    return this.cipherSuiteId < 0 ? undefined : cipherSuite(this.cipherSuiteId);
  }

  /**
   * One record, in the order its direction sent it. `fragment` is the record body without its
   * 5-byte header; it is not kept beyond this call unless the record must wait for keys (copied).
   * `tag` comes back with the result of a record decrypted late (onLateRecord), e.g. a frame number.
   */
  record(dir: number, contentType: number, version: number, fragment: Buffer, tag = 0): RecordResult {
    if (this.clientDir < 0 && contentType === CT_HANDSHAKE && fragment.length > 0 && fragment[0] === HS_CLIENT_HELLO) {
      this.clientDir = dir;
    }
    this.retryPending(this.client);
    this.retryPending(this.server);
    let r: RecordResult;
    if (this.clientDir < 0) {
      // no Client Hello seen: whatever this is, tcpwatch cannot tell plaintext from ciphertext
      r = result(RecordStatus.NoKeys, contentType, null, 'the handshake was not captured', 0, Epoch.None, 0);
    } else {
      const side = dir === this.clientDir ? this.client : this.server;
      if (side.pending.length > 0 && this.isProtected(side, contentType) && this.canQueue(side, fragment.length)) {
        r = this.queue(side, contentType, version, fragment, tag);
      } else {
        r = this.process(side, contentType, version, fragment, tag, true);
      }
    }
    this.count(r);
    return r;
  }

  /**
   * A record of direction `dir` that was not captured in full (snapshot length, a gap in the TCP
   * stream): its sequence number is used up, and what depended on its bytes is lost.
   */
  lostRecord(dir: number): void {
    if (this.clientDir < 0) return;
    const side = dir === this.clientDir ? this.client : this.server;
    side.hs.reset();
    if (!side.encrypted) return;
    if (side.pending.length > 0) {
      // the queue would replay with a hole in it: give the waiting records up
      this.ctx.pendingBytes -= side.pendingBytes;
      side.pending = [];
      side.pendingBytes = 0;
      side.gaveUpWaiting = true;
    }
    side.seq++;
    side.cbcIvSuspect = true;
  }

  /** Decrypt what still waits for secrets, if they have appeared (e.g. at the end of a capture). */
  flush(): void {
    this.retryPending(this.client);
    this.retryPending(this.server);
  }

  private count(r: RecordResult): void {
    switch (r.status) {
      case RecordStatus.Plaintext: this.stats.plaintext++; break;
      case RecordStatus.Decrypted: this.stats.decrypted++; break;
      case RecordStatus.NoKeys: this.stats.noKeys++; break;
      case RecordStatus.AuthFailed: this.stats.authFailed++; break;
      case RecordStatus.Unsupported: this.stats.unsupported++; break;
    }
  }

  /** Whether a record of this type from this side is protected now. */
  private isProtected(side: Side, contentType: number): boolean {
    if (!side.encrypted) return false;
    // TLS 1.3 protects only records of outer type application_data; ChangeCipherSpec is sent in
    // the clear for middlebox compatibility and an alert may precede the keys (RFC 8446 §5, §D.4)
    if (side.epoch !== Epoch.None) return contentType === CT_APPLICATION_DATA;
    return true;
  }

  private process(side: Side, contentType: number, version: number, fragment: Buffer, tag: number, mayQueue: boolean): RecordResult {
    if (!this.isProtected(side, contentType)) {
      if (contentType === CT_APPLICATION_DATA) {
        // application data is never sent in the clear: the keys were set up where tcpwatch did not see it
        return result(RecordStatus.NoKeys, contentType, null, 'the handshake was not captured', 0, Epoch.None, 0);
      }
      this.afterRecord(side, contentType, fragment);
      return result(RecordStatus.Plaintext, contentType, fragment, '', 0, Epoch.None, 0);
    }
    let params = side.params;
    if (params === null && side.epoch === Epoch.Early && !this.serverHelloSeen) {
      // 0-RTT data before the Server Hello: its suite is the resumed session's, which only the
      // Server Hello names. The client offered it: the one whose tag verifies is it.
      const r = this.tryEarlySuites(side, contentType, version, fragment);
      if (r !== null) return r;
      params = side.params;
    }
    if (params === null) {
      // 0-RTT data before the Server Hello: its cipher suite is known once the Server Hello is
      if (side.epoch === Epoch.Early && !this.serverHelloSeen && mayQueue && this.canQueue(side, fragment.length)) {
        return this.queue(side, contentType, version, fragment, tag);
      }
      return result(RecordStatus.NoKeys, contentType, null, 'the handshake was not captured', side.seq++, side.epoch, side.keyGeneration);
    }
    const suite = params.suite;
    if (suite === undefined) {
      const id = params.suiteId.toString(16).padStart(4, '0');
      return result(RecordStatus.Unsupported, contentType, null, `cipher suite 0x${id} is not supported`, side.seq++, side.epoch, side.keyGeneration);
    }
    if (side.keys === null && !this.loadKeys(side, params, suite)) {
      if (mayQueue && this.canQueue(side, fragment.length)) return this.queue(side, contentType, version, fragment, tag);
      if (side.epoch === Epoch.None) side.cbcIv = lastBlock(fragment, suite, params, side.cbcIv);
      side.hs.reset();
      return result(RecordStatus.NoKeys, contentType, null, 'no secrets for this session in the key log', side.seq++, side.epoch, side.keyGeneration);
    }
    this.keysFound = true;
    let r = this.open(side, params, suite, contentType, version, fragment);
    // Early data the server refused is never followed by EndOfEarlyData: the client's next records
    // are under its handshake secret (RFC 8446 §4.2.10).
    if (r.status === RecordStatus.AuthFailed && side.isClient && side.epoch === Epoch.Early && this.serverHelloSeen) {
      side.rekey(params, Epoch.Handshake);
      side.secret = null;
      if (this.loadKeys(side, params, suite)) r = this.open(side, params, suite, contentType, version, fragment);
    }
    // a record whose own MAC verified (failing only for its chained IV) passes on a sound last block
    if (suite.kind === CipherKind.Block) side.cbcIvSuspect = r.status === RecordStatus.AuthFailed && r.reason !== REASON_CHAINED_IV;
    if (r.status === RecordStatus.Decrypted) this.afterRecord(side, r.contentType, r.data!);
    else side.hs.reset();
    return r;
  }

  /**
   * Early data whose suite is not known yet: each TLS 1.3 suite the client offered, whose hash fits
   * the early traffic secret's length, is tried; the first whose tag verifies is kept for the side.
   * Null when none does (or the secret is not in the key log).
   */
  private tryEarlySuites(side: Side, contentType: number, version: number, fragment: Buffer): RecordResult | null {
    if (this.clientRandom === null || this.offeredTls13Suites.length === 0) return null;
    const secret = this.ctx.keylog.lookupFresh(this.clientRandom, 'clientEarlyTrafficSecret')?.clientEarlyTrafficSecret;
    if (secret === undefined) return null;
    for (const id of this.offeredTls13Suites) {
      const suite = cipherSuite(id);
      if (suite === undefined || !suite.tls13 || hashLen(suite.prfHash) !== secret.length) continue;
      const params: SessionParams = { clientRandom: this.clientRandom, serverRandom: EMPTY, version: TLS1_3, suite, suiteId: id, encryptThenMac: false };
      const seq = side.seq;
      side.params = params;
      side.secret = null;
      side.keys = null;
      if (!this.loadKeys(side, params, suite)) break;
      const r = this.open(side, params, suite, contentType, version, fragment);
      if (r.status === RecordStatus.Decrypted) {
        this.keysFound = true;
        this.afterRecord(side, r.contentType, r.data!);
        return r;
      }
      side.seq = seq;
    }
    side.params = null;
    side.secret = null;
    side.keys = null;
    return null;
  }

  private canQueue(side: Side, len: number): boolean {
    if (side.gaveUpWaiting || !this.ctx.waitForKeys) return false;
    if (side.pending.length >= PENDING_MAX_RECORDS || side.pendingBytes + len > PENDING_MAX_BYTES || this.ctx.pendingBytes + len > this.ctx.pendingLimit) {
      // keys that have not come for this long are not coming: report what waited as without keys
      side.gaveUpWaiting = true;
      this.ctx.pendingBytes -= side.pendingBytes;
      side.pending = [];
      side.pendingBytes = 0;
      return false;
    }
    return true;
  }

  private queue(side: Side, contentType: number, version: number, fragment: Buffer, tag: number): RecordResult {
    side.pending.push({ contentType, version, fragment: Buffer.from(fragment), tag });
    side.pendingBytes += fragment.length;
    this.ctx.pendingBytes += fragment.length;
    return result(RecordStatus.NoKeys, contentType, null, 'waiting for secrets in the key log', 0, side.epoch, side.keyGeneration);
  }

  private retryPending(side: Side): void {
    const waiting = side.pending;
    if (waiting.length === 0) return;
    const dir = side.isClient ? this.clientDir : 1 - this.clientDir;
    let i = 0;
    for (; i < waiting.length; i++) {
      const p = waiting[i];
      if (this.isProtected(side, p.contentType)) {
        const params = side.params;
        if (params === null) break; // early data still waiting for the Server Hello
        if (params.suite !== undefined && side.keys === null && !this.loadKeys(side, params, params.suite)) break;
      }
      side.pendingBytes -= p.fragment.length;
      this.ctx.pendingBytes -= p.fragment.length;
      const r = this.process(side, p.contentType, p.version, p.fragment, p.tag, false);
      // the record was counted as waiting: count it as what it turned out to be
      this.stats.noKeys--;
      this.count(r);
      this.onLateRecord?.(p.tag, dir, r);
    }
    side.pending = i === waiting.length ? [] : waiting.slice(i);
  }

  /** Derive this side's record keys from the key log; false when the secrets are not there (yet). */
  private loadKeys(side: Side, params: SessionParams, suite: CipherSuite): boolean {
    const keylog = this.ctx.keylog;
    if (suite.tls13) {
      if (side.secret === null) {
        const name = secretName(side.isClient, side.epoch);
        if (name === null) return false;
        const s: SessionSecrets | undefined = this.ctx.waitForKeys && !side.waited
          ? keylog.lookupWaiting(params.clientRandom, name, LIVE_KEY_WAIT_MS)
          : keylog.lookupFresh(params.clientRandom, name);
        side.waited = true;
        const base = s?.[name];
        if (base === undefined) return false;
        let secret = base;
        for (let g = 0; side.epoch === Epoch.Application && g < side.keyGeneration; g++) secret = nextTrafficSecret(suite.prfHash, secret);
        side.secret = secret;
      }
      const k = trafficKeys(suite.prfHash, side.secret, suite.keyLen, suite.fixedIvLen);
      side.keys = { key: k.key, iv: k.iv, macKey: EMPTY };
      return true;
    }
    const master = (this.ctx.waitForKeys && !side.waited
      ? keylog.lookupWaiting(params.clientRandom, 'masterSecret', LIVE_KEY_WAIT_MS)
      : keylog.lookupFresh(params.clientRandom, 'masterSecret'))?.masterSecret;
    side.waited = true;
    if (master === undefined) return false;
    const macLen = suite.macLen, keyLen = suite.keyLen, ivLen = suite.fixedIvLen;
    const block = keyBlock(params.version, suite.prfHash, master, params.clientRandom, params.serverRandom, 2 * (macLen + keyLen + ivLen));
    // RFC 5246 §6.3: client MAC, server MAC, client key, server key, client IV, server IV
    const c = side.isClient ? 0 : 1;
    const macKey = block.subarray(c * macLen, (c + 1) * macLen);
    const key = block.subarray(2 * macLen + c * keyLen, 2 * macLen + (c + 1) * keyLen);
    const iv = block.subarray(2 * (macLen + keyLen) + c * ivLen, 2 * (macLen + keyLen) + (c + 1) * ivLen);
    side.keys = { key, iv, macKey };
    if (side.cbcIv === null && suite.kind === CipherKind.Block && params.version < TLS1_1) side.cbcIv = iv;
    return true;
  }

  /** Decrypt and verify one protected record with the side's keys. */
  private open(side: Side, params: SessionParams, suite: CipherSuite, contentType: number, version: number, frag: Buffer): RecordResult {
    const keys = side.keys!;
    const seq = side.seq++;
    const epoch = side.epoch, gen = side.keyGeneration;
    const fail = (reason: string): RecordResult => result(RecordStatus.AuthFailed, contentType, null, reason, seq, epoch, gen);
    if (frag.length > MAX_CIPHERTEXT) return fail('longer than any protected record may be');

    if (suite.tls13) {
      // RFC 8446 §5.2-5.3: nonce = IV XOR sequence number, additional data = the record header
      if (frag.length < suite.tagLen + 1) return fail('too short for its cipher');
      const nonce = xorSeq(keys.iv, seq);
      const aad = Buffer.allocUnsafe(RECORD_HEADER_LEN);
      aad[0] = contentType;
      aad.writeUInt16BE(version, 1);
      aad.writeUInt16BE(frag.length, 3);
      const ctLen = frag.length - suite.tagLen;
      const inner = aeadOpen(suite, keys.key, nonce, aad, frag.subarray(0, ctLen), frag.subarray(ctLen));
      if (inner === null) return fail('authentication tag mismatch');
      // TLSInnerPlaintext: content, then the real content type, then zero padding
      let end = inner.length;
      while (end > 0 && inner[end - 1] === 0) end--;
      if (end === 0) return fail('no inner content type');
      return result(RecordStatus.Decrypted, inner[end - 1], inner.subarray(0, end - 1), '', seq, epoch, gen);
    }

    if (suite.kind === CipherKind.Aead) {
      const explicit = suite.explicitNonceLen;
      if (frag.length < explicit + suite.tagLen) return fail('too short for its cipher');
      let nonce: Buffer;
      if (explicit > 0) {
        nonce = Buffer.concat([keys.iv, frag.subarray(0, explicit)]); // RFC 5288 §3, RFC 6655 §3
      } else {
        nonce = xorSeq(keys.iv, seq); // RFC 7905 §2
      }
      const ctLen = frag.length - explicit - suite.tagLen;
      const aad = macHeader(seq, contentType, version, ctLen, params.version);
      const plain = aeadOpen(suite, keys.key, nonce, aad, frag.subarray(explicit, explicit + ctLen), frag.subarray(frag.length - suite.tagLen));
      if (plain === null) return fail('authentication tag mismatch');
      return result(RecordStatus.Decrypted, contentType, plain, '', seq, epoch, gen);
    }

    const macHash = suite.macHash!;
    const macLen = suite.macLen;
    if (suite.kind === CipherKind.Null) {
      if (frag.length < macLen) return fail('too short for its MAC');
      const content = frag.subarray(0, frag.length - macLen);
      if (!macOk(params.version, macHash, keys.macKey, seq, contentType, version, content, frag.subarray(frag.length - macLen))) return fail('bad record MAC');
      return result(RecordStatus.Decrypted, contentType, Buffer.from(content), '', seq, epoch, gen);
    }

    // CBC block cipher
    const bl = suite.blockLen;
    const explicitIv = params.version >= TLS1_1;
    const etm = params.encryptThenMac && params.version !== SSL3_0;
    const encLen = etm ? frag.length - macLen : frag.length;
    const ivLen = explicitIv ? bl : 0;
    if (encLen < ivLen + bl || (encLen - ivLen) % bl !== 0 || (!etm && encLen - ivLen < macLen + 1)) {
      side.cbcIv = lastBlock(frag, suite, params, side.cbcIv);
      return fail('too short for its cipher');
    }
    const iv = explicitIv ? frag.subarray(0, bl) : side.cbcIv!;
    const ct = frag.subarray(ivLen, encLen);
    const ivSuspect = !explicitIv && side.cbcIvSuspect;
    if (!explicitIv) side.cbcIv = Buffer.from(ct.subarray(ct.length - bl));
    if (etm) {
      // RFC 7366 §3: the MAC covers IV and ciphertext, and is checked before decrypting
      const mac = frag.subarray(encLen);
      if (!macOk(params.version, macHash, keys.macKey, seq, contentType, version, frag.subarray(0, encLen), mac)) return fail('bad record MAC');
      // the MAC does not cover an IV chained from the previous record: if that one failed, so does this first block
      if (ivSuspect) return fail(REASON_CHAINED_IV);
    }
    const d = createDecipheriv(suite.nodeCipher, keys.key, iv);
    d.setAutoPadding(false);
    const p = Buffer.concat([d.update(ct), d.final()]);
    const padLen = p[p.length - 1];
    const tail = (etm ? 0 : macLen) + padLen + 1;
    if (tail > p.length) return fail('bad padding');
    if (params.version === SSL3_0) {
      if (padLen >= bl) return fail('bad padding'); // RFC 6101 §5.2.3.2: padding shorter than a block, any bytes
    } else {
      for (let i = p.length - 1 - padLen; i < p.length - 1; i++) if (p[i] !== padLen) return fail('bad padding');
    }
    const contentEnd = p.length - tail;
    const content = p.subarray(0, contentEnd);
    if (!etm && !macOk(params.version, macHash, keys.macKey, seq, contentType, version, content, p.subarray(contentEnd, contentEnd + macLen))) {
      return fail('bad record MAC');
    }
    return result(RecordStatus.Decrypted, contentType, content, '', seq, epoch, gen);
  }

  /** Follow the handshake in a record's plaintext; switch keys where the protocol does. */
  private afterRecord(side: Side, contentType: number, data: Buffer): void {
    if (contentType === CT_HANDSHAKE) {
      side.hs.feed(data, (type, body) => this.onHandshake(side, type, body));
    } else if (contentType === CT_CHANGE_CIPHER_SPEC && side.epoch === Epoch.None && this.version !== TLS1_3) {
      // TLS ≤ 1.2: what this side sends next is under the keys just negotiated (RFC 5246 §7.1);
      // without a captured Server Hello the parameters are unknown and its records stay encrypted
      side.rekey(this.currentParams(), Epoch.None);
      side.hs.reset();
    }
  }

  private currentParams(): SessionParams | null {
    if (this.clientRandom === null || this.serverRandom === null) return null;
    return {
      clientRandom: this.clientRandom,
      serverRandom: this.serverRandom,
      version: this.version,
      suite: this.suite,
      suiteId: this.cipherSuiteId,
      encryptThenMac: this.encryptThenMac,
    };
  }

  private onHandshake(side: Side, type: number, body: Buffer | null): void {
    switch (type) {
      case HS_CLIENT_HELLO:
        if (side.isClient && body !== null) this.onClientHello(body);
        break;
      case HS_SERVER_HELLO:
        if (!side.isClient && body !== null) this.onServerHello(body);
        break;
      case HS_END_OF_EARLY_DATA:
        if (side.isClient && side.epoch === Epoch.Early) {
          side.rekey(side.params, Epoch.Handshake);
          side.secret = null;
        }
        break;
      case HS_FINISHED:
        // RFC 8446 §7.3: after its Finished, a side sends under its application traffic secret
        if (side.epoch === Epoch.Handshake) {
          side.rekey(side.params, Epoch.Application);
          side.secret = null;
          side.keyGeneration = 0;
        }
        break;
      case HS_KEY_UPDATE:
        // RFC 8446 §4.6.3: the sender's next records use the next generation of its secret
        if (side.epoch === Epoch.Application) {
          const suite = side.params?.suite;
          const next = side.secret !== null && suite !== undefined ? nextTrafficSecret(suite.prfHash, side.secret) : null;
          side.rekey(side.params, Epoch.Application);
          side.keyGeneration++;
          side.secret = next;
        }
        break;
    }
  }

  private onClientHello(b: Buffer): void {
    // legacy_version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2> compression<1..2^8-1> extensions
    if (b.length < 2 + RANDOM_LEN + 1) return;
    this.clientRandom = Buffer.from(b.subarray(2, 2 + RANDOM_LEN));
    let p = 2 + RANDOM_LEN;
    p += 1 + b[p];
    if (p + 2 > b.length) return;
    const suitesLen = b.readUInt16BE(p);
    this.offeredTls13Suites = [];
    // RFC 8446 §B.4: TLS 1.3 suites are 0x13xx
    for (let i = p + 2; i + 2 <= Math.min(b.length, p + 2 + suitesLen) && this.offeredTls13Suites.length < 16; i += 2) {
      if (b[i] === 0x13) this.offeredTls13Suites.push(b.readUInt16BE(i));
    }
    p += 2 + suitesLen;
    if (p + 1 > b.length) return;
    p += 1 + b[p];
    let etm = false, early = false;
    forEachExtension(b, p, (type) => {
      if (type === EXT_ENCRYPT_THEN_MAC) etm = true;
      else if (type === EXT_EARLY_DATA) early = true;
    });
    this.clientOfferedEtm = etm;
    // RFC 8446 §2.3: 0-RTT data follows the Client Hello under the client early traffic secret
    if (early && !this.serverHelloSeen && !this.helloRetried && this.client.epoch === Epoch.None && !this.client.encrypted) {
      this.client.rekey(null, Epoch.Early);
      this.client.secret = null;
    }
  }

  private onServerHello(b: Buffer): void {
    // legacy_version(2) random(32) session_id<0..32> cipher_suite(2) compression(1) [extensions]
    if (b.length < 2 + RANDOM_LEN + 1) return;
    const random = b.subarray(2, 2 + RANDOM_LEN);
    let p = 2 + RANDOM_LEN;
    p += 1 + b[p];
    if (p + 3 > b.length) return;
    const suiteId = b.readUInt16BE(p);
    p += 3;
    let version = b.readUInt16BE(0);
    let etm = false;
    forEachExtension(b, p, (type, off, len) => {
      if (type === EXT_SUPPORTED_VERSIONS && len === 2) version = b.readUInt16BE(off);
      else if (type === EXT_ENCRYPT_THEN_MAC) etm = true;
    });
    if (random.equals(HRR_RANDOM)) {
      // HelloRetryRequest (RFC 8446 §4.1.4): a second Client Hello follows, keys come with the real
      // Server Hello. The version is known already: the client's ChangeCipherSpec that may come
      // next is the middlebox-compatibility one (§D.4), not a switch to new keys.
      if (isTls13(version)) this.version = TLS1_3;
      this.helloRetried = true;
      return;
    }
    this.serverHelloSeen = true;
    this.serverRandom = Buffer.from(random);
    this.cipherSuiteId = suiteId;
    this.version = isTls13(version) ? TLS1_3 : version;
    // RFC 7366 §3: encrypt-then-MAC applies to CBC suites when both hellos carry the extension
    this.encryptThenMac = etm && this.clientOfferedEtm && this.suite?.kind === CipherKind.Block;
    if (this.version === TLS1_3) {
      const params = this.currentParams();
      // RFC 8446 §2: everything after the Server Hello is under handshake traffic secrets
      this.server.rekey(params, Epoch.Handshake);
      this.server.secret = null;
      if (this.client.epoch === Epoch.Early) {
        this.client.params = params; // stays on early data until EndOfEarlyData
      } else {
        this.client.rekey(params, Epoch.Handshake);
        this.client.secret = null;
      }
    }
  }
}

function isTls13(version: number): boolean {
  // RFC 8446, and drafts 23-28 (0x7f17-0x7f1c) whose record protection is the final one
  return version === TLS1_3 || (version >= 0x7f17 && version <= 0x7f1c);
}

function secretName(isClient: boolean, epoch: Epoch): keyof SessionSecrets | null {
  switch (epoch) {
    case Epoch.Early: return isClient ? 'clientEarlyTrafficSecret' : null;
    case Epoch.Handshake: return isClient ? 'clientHandshakeTrafficSecret' : 'serverHandshakeTrafficSecret';
    case Epoch.Application: return isClient ? 'clientTrafficSecret0' : 'serverTrafficSecret0';
    default: return null;
  }
}

function forEachExtension(b: Buffer, p: number, fn: (type: number, off: number, len: number) => void): void {
  if (p + 2 > b.length) return;
  const end = Math.min(b.length, p + 2 + b.readUInt16BE(p));
  p += 2;
  while (p + 4 <= end) {
    const type = b.readUInt16BE(p);
    const len = b.readUInt16BE(p + 2);
    if (p + 4 + len > end) return;
    fn(type, p + 4, len);
    p += 4 + len;
  }
}

const EMPTY = Buffer.alloc(0);

function result(status: RecordStatus, contentType: number, data: Buffer | null, reason: string, seq: number, epoch: Epoch, keyGeneration: number): RecordResult {
  return { status, contentType, data, reason, seq, epoch, keyGeneration };
}

function writeSeq(out: Buffer, off: number, seq: number): void {
  out.writeUInt32BE(Math.floor(seq / 4294967296), off);
  out.writeUInt32BE(seq >>> 0, off + 4);
}

/** The per-record nonce of TLS 1.3 and ChaCha20-Poly1305: the 64-bit sequence number XORed into the IV's last bytes. */
function xorSeq(iv: Buffer, seq: number): Buffer {
  const nonce = Buffer.from(iv);
  const s = Buffer.allocUnsafe(8);
  writeSeq(s, 0, seq);
  for (let i = 0; i < 8; i++) nonce[nonce.length - 8 + i] ^= s[i];
  return nonce;
}

/** seq_num + type + version + length: the MAC input header (RFC 5246 §6.2.3.1) and AEAD additional data (§6.2.3.3). SSL 3.0 has no version. */
function macHeader(seq: number, contentType: number, version: number, length: number, sessionVersion: number): Buffer {
  if (sessionVersion === SSL3_0) {
    const h = Buffer.allocUnsafe(11);
    writeSeq(h, 0, seq);
    h[8] = contentType;
    h.writeUInt16BE(length, 9);
    return h;
  }
  const h = Buffer.allocUnsafe(13);
  writeSeq(h, 0, seq);
  h[8] = contentType;
  h.writeUInt16BE(version, 9);
  h.writeUInt16BE(length, 11);
  return h;
}

function macOk(sessionVersion: number, hash: HashName, macKey: Buffer, seq: number, contentType: number, version: number, content: Buffer, mac: Buffer): boolean {
  if (mac.length !== hashLen(hash)) return false;
  const header = macHeader(seq, contentType, version, content.length, sessionVersion);
  let expected: Buffer;
  if (sessionVersion === SSL3_0) {
    // RFC 6101 §5.2.3.1: hash(secret + pad_2 + hash(secret + pad_1 + seq_num + type + length + content))
    const padLen = hash === 'md5' ? 48 : 40;
    const inner = createHash(hash).update(macKey).update(Buffer.alloc(padLen, 0x36)).update(header).update(content).digest();
    expected = createHash(hash).update(macKey).update(Buffer.alloc(padLen, 0x5c)).update(inner).digest();
  } else {
    expected = createHmac(hash, macKey).update(header).update(content).digest();
  }
  return timingSafeEqual(expected, mac);
}

function aeadOpen(suite: CipherSuite, key: Buffer, nonce: Buffer, aad: Buffer, ct: Buffer, tag: Buffer): Buffer | null {
  try {
    if (suite.nodeCipher.endsWith('-ccm')) {
      const d = createDecipheriv(suite.nodeCipher as 'aes-128-ccm', key, nonce, { authTagLength: suite.tagLen });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: ct.length });
      const out = d.update(ct);
      d.final();
      return out;
    }
    const d = createDecipheriv(suite.nodeCipher as 'aes-128-gcm', key, nonce, { authTagLength: suite.tagLen });
    d.setAAD(aad);
    d.setAuthTag(tag);
    const out = d.update(ct);
    d.final();
    return out;
  } catch {
    return null; // the tag did not verify (OpenSSL reports it as an exception)
  }
}

/** TLS 1.0 / SSL 3.0 CBC chaining across a record that could not be decrypted: keep its last ciphertext block. */
function lastBlock(frag: Buffer, suite: CipherSuite, params: SessionParams, prev: Buffer | null): Buffer | null {
  if (suite.kind !== CipherKind.Block || params.version >= TLS1_1) return prev;
  const end = params.encryptThenMac && params.version !== SSL3_0 ? frag.length - suite.macLen : frag.length;
  if (end < suite.blockLen) return prev;
  return Buffer.from(frag.subarray(end - suite.blockLen, end));
}

