// TLS decryption as an analysis stage: runs after the TLS dissector (src/tls/analyzer.ts), feeds
// each frame's records to the connection's TlsDecryptor and writes what they carry into the frame's
// results: per-record status, inner content type and plaintext (src/tls/decrypt-info.ts), the
// handshake messages of decrypted records added to d.tls (so tls.handshake.* fields and the details
// tree show EncryptedExtensions, Certificate, Finished …), and the Info column words that tshark
// shows once a record is readable ("Finished" instead of "Encrypted Handshake Message").
//
// The key log comes from --keylog, -o tls.keylog_file:, SSLKEYLOGFILE and the capture file's
// Decryption Secrets Blocks; with none of them the stage is not created.

import type { Dissection } from '../decode/dissection';
import type { Analyzer } from '../pipeline';
import { registerStage, MainOptions } from '../hooks';
import type { CaptureFileReader } from '../capture/file-reader';
import './analyzer'; // registers the 'tls' stage this one runs after
import { InfoKind, MAX_TLS_INFO, MAX_TLS_RECORDS, MsgFlag, RecordFlag, TlsInfo } from './tls-info';
import { CT_ALERT, CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, DecryptContext, RecordStatus, TlsDecryptor } from './decrypt';
import { decryptInfoOf, TlsDecryptInfo } from './decrypt-info';
import { KeyLog, keyLogFromOptions } from './keylog';
import { httpInfoOf, HttpInfo } from '../http/http-info';
import { decryptedHttpMessage } from '../protocols/http';
import { Http1Parser } from '../http/http1';
import { CLIENT_PREFACE, Http2Parser } from '../http/http2';
import '../fields/http';

const REC_HEADER_LEN = 5;
const HS_HEADER_LEN = 4;
/** A decrypted handshake message is collected across records up to this size. */
const MAX_HANDSHAKE = 256 * 1024;
/** Connections followed at once; the oldest is forgotten beyond this. */
const MAX_CONNECTIONS = 65536;

/** Handshake bytes of one direction that continue in the next decrypted record. */
class HandshakeCollector {
  buf: Buffer | null = null;
}

const enum App {
  Undecided,
  Http1,
  Http2,
  Other,
}

class Connection {
  readonly decryptor: TlsDecryptor;
  readonly hs: [HandshakeCollector, HandshakeCollector] = [new HandshakeCollector(), new HandshakeCollector()];
  app = App.Undecided;
  /** Per TCP direction. */
  http1: [Http1Parser, Http1Parser] | null = null;
  http2: [Http2Parser, Http2Parser] | null = null;
  constructor(ctx: DecryptContext) {
    this.decryptor = new TlsDecryptor(ctx);
  }

  /** What the decrypted bytes carry, judged from the first ones: HTTP/2's prefaces, or an HTTP/1 start line. */
  decide(dir: number, data: Buffer): void {
    const clientDir = this.decryptor.clientDir < 0 ? 0 : this.decryptor.clientDir;
    const fromClient = dir === clientDir;
    const h2 = fromClient
      ? data.length >= 4 && data.subarray(0, Math.min(data.length, CLIENT_PREFACE.length)).equals(CLIENT_PREFACE.subarray(0, Math.min(data.length, CLIENT_PREFACE.length)))
      // RFC 9113 §3.4: the server's preface is a SETTINGS frame on stream 0
      : data.length >= 9 && data[3] === 0x4 && data.readUInt32BE(5) === 0 && data.readUIntBE(0, 3) % 6 === 0;
    if (h2) {
      this.app = App.Http2;
      this.http2 = clientDir === 0 ? [new Http2Parser(true), new Http2Parser(false)] : [new Http2Parser(false), new Http2Parser(true)];
      // Linked, each direction's HPACK table is held to the size the other side's SETTINGS allows
      // (RFC 9113 §6.5.2: 4096 until it says otherwise).
      this.http2[0].peer = this.http2[1];
      return;
    }
    const a = new Http1Parser(), b = new Http1Parser();
    a.peer = b;
    b.peer = a;
    this.http1 = [a, b];
    this.app = App.Http1;
  }
}

export interface DecryptStats {
  connections: number;
  decrypted: number;
  noKeys: number;
  authFailed: number;
  unsupported: number;
}

export class TlsDecryptAnalyzer implements Analyzer {
  readonly ctx: DecryptContext;
  readonly stats: DecryptStats = { connections: 0, decrypted: 0, noKeys: 0, authFailed: 0, unsupported: 0 };
  private readonly conns = new Map<number, Connection>();
  // Info items rebuilt per frame (reused)
  private readonly infoKind = new Uint8Array(MAX_TLS_INFO);
  private readonly infoValue = new Uint16Array(MAX_TLS_INFO);
  /** Per record of the frame: type of a decrypted handshake message that starts in it and continues later, else -1. */
  private readonly fragmentType = new Int16Array(MAX_TLS_RECORDS);

  constructor(readonly keylog: KeyLog, private readonly reader: CaptureFileReader | null = null) {
    // a file's key log is complete when reading starts; live, secrets may trail the packets
    this.ctx = new DecryptContext(keylog, undefined, reader === null);
  }

  analyze(d: Dissection): void {
    const info = decryptInfoOf(d);
    info.reset();
    httpInfoOf(d).reset();
    if (this.reader !== null && this.reader.secrets.length > 0) this.keylog.addSecrets(this.reader.secrets);
    const t = d.tls;
    if (t.stream < 0 || (t.recordCount === 0 && t.recordsOmitted === 0)) return;
    let conn = this.conns.get(t.stream);
    if (conn === undefined) {
      if (this.conns.size >= MAX_CONNECTIONS) {
        for (const k of this.conns.keys()) {
          this.conns.delete(k);
          break;
        }
      }
      conn = new Connection(this.ctx);
      this.conns.set(t.stream, conn);
      this.stats.connections++;
    }
    const dec = conn.decryptor;
    const dir = t.direction & 1;
    info.count = t.recordCount;
    for (let r = 0; r < t.recordCount; r++) {
      this.fragmentType[r] = -1;
      if (t.recordFlags[r] & (RecordFlag.Sslv2 | RecordFlag.Malformed)) continue;
      const buf = t.recordBuf[r];
      const body = t.recordOff[r] + REC_HEADER_LEN;
      const end = body + t.length[r];
      if (end > buf.length) {
        dec.lostRecord(dir);
        continue;
      }
      const res = dec.record(dir, t.contentType[r], t.version[r], buf.subarray(body, end), d.number);
      info.status[r] = res.status;
      info.innerType[r] = res.contentType;
      info.reason[r] = res.reason;
      switch (res.status) {
        case RecordStatus.Decrypted: {
          this.stats.decrypted++;
          const plain = res.data!;
          info.plain[r] = plain;
          if (res.contentType === CT_HANDSHAKE) this.handshake(t, conn.hs[dir], plain, r, dec.version);
          else if (res.contentType === CT_APPLICATION_DATA && plain.length > 0) this.application(conn, dir, plain, httpInfoOf(d));
          break;
        }
        case RecordStatus.NoKeys: this.stats.noKeys++; break;
        case RecordStatus.AuthFailed: this.stats.authFailed++; break;
        case RecordStatus.Unsupported: this.stats.unsupported++; break;
      }
    }
    // records the dissector found but could not describe (more than fit in a frame's arrays)
    for (let k = 0; k < t.recordsOmitted; k++) dec.lostRecord(dir);
    info.version = dec.version;
    info.cipherSuite = dec.cipherSuiteId;
    // HTTP/1.x of the plaintext answers through the HTTP protocol's fields, as cleartext HTTP does.
    for (const m of httpInfoOf(d).http1) {
      const x = decryptedHttpMessage(d);
      if (x === null) break;
      x.request = m.request;
      x.method = m.method;
      x.uri = m.uri;
      x.version = m.version;
      x.code = m.code;
      x.phrase = m.phrase;
      x.host = m.host;
      x.contentLength = m.contentLength;
      if (m.host !== '') {
        x.headers.push(`Host: ${m.host}`);
        x.headerOff.push(0);
        x.headerLen.push(0);
      }
    }
    this.rewriteInfo(t, info);
  }

  /** Decrypted application data: HTTP/1.x or HTTP/2 when it is that. */
  private application(conn: Connection, dir: number, data: Buffer, http: HttpInfo): void {
    if (conn.app === App.Undecided) conn.decide(dir, data);
    if (conn.app === App.Http1) {
      const p = conn.http1![dir];
      p.feed(data, http.http1);
      if (!p.isHttp && !conn.http1![1 - dir].isHttp) conn.app = App.Other;
    } else if (conn.app === App.Http2) {
      conn.http2![dir].feed(data, http.http2);
    }
  }

  /** Decrypted handshake bytes of record r: complete messages are added to the frame's messages. */
  private handshake(t: TlsInfo, col: HandshakeCollector, plain: Buffer, r: number, version: number): void {
    // a NULL-cipher record was readable to the dissector already: its messages are listed
    for (let m = 0; m < t.msgCount; m++) if (t.msgRecord[m] === r) return;
    let b = plain;
    let flags = 0;
    if (col.buf !== null) {
      b = Buffer.concat([col.buf, plain]);
      col.buf = null;
      flags = MsgFlag.Reassembled;
    }
    let p = 0;
    while (b.length - p >= HS_HEADER_LEN) {
      const len = b.readUIntBE(p + 1, 3);
      if (b.length - p < HS_HEADER_LEN + len) break;
      t.addMessage(b, p, b[p], len, r, flags, version);
      p += HS_HEADER_LEN + len;
      flags = 0;
    }
    if (p < b.length && b.length - p <= MAX_HANDSHAKE) {
      col.buf = b.subarray(p);
      if (p === 0 && flags === 0) this.fragmentType[r] = b[0];
    }
  }

  /**
   * The Info column as tshark writes it with keys: each "Application Data", "Encrypted Handshake
   * Message" or "Encrypted Alert" of a record that decrypted becomes what the record carries. The
   * dissector's items map one to one onto the frame's protected records; when they do not (an
   * unusual frame), the column is left as the dissector made it.
   */
  private rewriteInfo(t: TlsInfo, info: TlsDecryptInfo): void {
    let anyDecrypted = false;
    for (let r = 0; r < info.count; r++) if (info.status[r] === RecordStatus.Decrypted) anyDecrypted = true;
    if (!anyDecrypted || t.infoOmitted > 0) return;
    const kinds = this.infoKind, values = this.infoValue;
    let n = 0;
    let r = -1;
    const nextProtected = (): number => {
      for (r++; r < info.count; r++) {
        const s = info.status[r];
        if (s !== RecordStatus.Plaintext && s !== 255) return r;
      }
      return -1;
    };
    const push = (k: InfoKind, v: number): boolean => {
      if (n >= MAX_TLS_INFO) return false;
      kinds[n] = k;
      values[n] = v;
      n++;
      return true;
    };
    for (let k = 0; k < t.infoCount; k++) {
      const kind = t.infoKind[k] as InfoKind;
      if (kind !== InfoKind.ApplicationData && kind !== InfoKind.EncryptedHandshake && kind !== InfoKind.EncryptedAlert) {
        if (!push(kind, t.infoValue[k])) return;
        continue;
      }
      const rec = nextProtected();
      if (rec < 0) return; // more encrypted items than protected records: not the frame this expects
      if (info.status[rec] !== RecordStatus.Decrypted) {
        if (!push(kind, t.infoValue[k])) return;
        continue;
      }
      const plain = info.plain[rec];
      switch (info.innerType[rec]) {
        case CT_HANDSHAKE: {
          // the messages this record completed (added to d.tls by handshake()), or the one it starts
          let any = false;
          for (let m = 0; m < t.msgCount; m++) {
            if (t.msgRecord[m] !== rec) continue;
            if (!push(InfoKind.Handshake, t.msgType[m])) return;
            any = true;
          }
          if (!any && this.fragmentType[rec] >= 0 && !push(InfoKind.HandshakeFragment, this.fragmentType[rec])) return;
          break;
        }
        case CT_ALERT:
          if (!push(plain.length >= 2 ? InfoKind.Alert : InfoKind.EncryptedAlert, plain.length >= 2 ? (plain[0] << 8) | plain[1] : 0)) return;
          break;
        case CT_CHANGE_CIPHER_SPEC:
          if (!push(InfoKind.ChangeCipherSpec, 0)) return;
          break;
        case CT_APPLICATION_DATA:
          if (!push(InfoKind.ApplicationData, 0)) return;
          break;
        default:
          if (!push(kind, t.infoValue[k])) return;
      }
    }
    if (nextProtected() >= 0) return; // protected records without an item: leave the column alone
    for (let k = 0; k < n; k++) {
      t.infoKind[k] = kinds[k];
      t.infoValue[k] = values[k];
    }
    t.infoCount = n;
  }

  /** Decrypt what waited for secrets that have arrived since (end of a capture). */
  flush(): void {
    for (const c of this.conns.values()) c.decryptor.flush();
  }
}

/** Decrypted application data of this frame, one entry per record, with the TCP direction it travelled. */
export function decryptedAppData(d: Dissection): { direction: number; data: Buffer }[] {
  const info = decryptInfoOf(d);
  const out: { direction: number; data: Buffer }[] = [];
  for (let r = 0; r < info.count; r++) {
    if (info.status[r] === RecordStatus.Decrypted && info.innerType[r] === CT_APPLICATION_DATA && info.plain[r].length > 0) {
      out.push({ direction: d.tls.direction, data: info.plain[r] });
    }
  }
  return out;
}

// One key log per set of options: the packet store builds fresh analyzers to re-dissect a packet,
// and the key log need not be read again for each.
const keylogs = new WeakMap<object, KeyLog>();

export function decryptAnalyzerFactory(opts: MainOptions, reader: CaptureFileReader | null): TlsDecryptAnalyzer | null {
  let log = keylogs.get(opts);
  if (log === undefined) {
    log = keyLogFromOptions(opts);
    keylogs.set(opts, log);
  }
  // a pcapng file may carry its key log in Decryption Secrets Blocks found while reading
  const mayHaveSecrets = reader !== null && reader.format === 'pcapng';
  if (!log.hasSources && !mayHaveSecrets) return null;
  return new TlsDecryptAnalyzer(log, reader);
}

// Decryption reads the records and handshake the TLS stage found in the same frame.
registerStage({ name: 'tls-decrypt', after: ['tls'], make: decryptAnalyzerFactory });
