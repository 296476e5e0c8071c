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
import { HandshakeType, HelloView } from './handshake';
import { alpnProto } from './analyzer'; // and registers the 'tls' stage this one runs after
import { AppProto, InfoKind, MAX_TLS_INFO, MAX_TLS_RECORDS, MsgFlag, RecordFlag, TlsInfo } from './tls-info';
import { CT_ALERT, CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, DecryptContext, RecordStatus, TlsDecryptor } from './decrypt';
import { decryptInfoOf, TlsDecryptInfo } from './decrypt-info';
import { KeyLog, keyLogFromOptions } from './keylog';
import { http, HttpConversation, httpInfoText } from '../protocols/http';
import { startsHttpMessage } from '../protocols/http/message';
import { http2 } from '../protocols/http2';
import { CLIENT_PREFACE } from '../http/http2';
import { PduBudget, PduStream } from '../http/pdu-stream';
import { versionShortName } from './records';
import { tlsInfoWord } from './summary';
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

/** What a decrypted application-data record of the frame was to the protocol it carries. */
export const enum AppRecord {
  /** Not handed to HTTP or HTTP/2: "Application Data". */
  None = 0,
  /** Completed HTTP/1.x messages. */
  Http = 1,
  /** Completed HTTP/2 frames. */
  Http2 = 2,
  /** Completed nothing: its bytes are part of a PDU a later record completes. */
  Segment = 3,
}

/** tshark's words for a record that completes no PDU of the protocol above TLS. */
export const TLS_SEGMENT = '[TLS segment of a reassembled PDU]';

class Connection {
  readonly decryptor: TlsDecryptor;
  readonly hs: [HandshakeCollector, HandshakeCollector] = [new HandshakeCollector(), new HandshakeCollector()];
  app = App.Undecided;
  /** What the ALPN of a decrypted Encrypted Extensions named (TLS 1.3 sends it encrypted). */
  alpn: AppProto = AppProto.None;
  /** The application protocol's PDUs, per TCP direction. */
  streams: [PduStream, PduStream] | null = null;
  constructor(ctx: DecryptContext) {
    this.decryptor = new TlsDecryptor(ctx);
  }

  /**
   * What the decrypted bytes carry: the protocol ALPN agreed on, else judged from the first bytes
   * (HTTP/2's prefaces, or an HTTP/1 start line), as tshark's TLS hands data to HTTP on its ports.
   */
  decide(dir: number, data: Buffer, alpn: string, budget: PduBudget): void {
    const clientDir = this.decryptor.clientDir < 0 ? 0 : this.decryptor.clientDir;
    const fromClient = dir === clientDir;
    const n = Math.min(data.length, CLIENT_PREFACE.length);
    const h2 = alpn === 'h2' || (alpn === '' && (fromClient
      ? data.length >= 4 && data.compare(CLIENT_PREFACE, 0, n, 0, n) === 0
      // RFC 9113 §3.4: the server's preface is a SETTINGS frame on stream 0
      : data.length >= 9 && data[3] === 0x4 && data.readUInt32BE(5) === 0 && data.readUIntBE(0, 3) % 6 === 0));
    if (h2) {
      this.app = App.Http2;
      const conv = http2.spec.tcpPdu!.newConversation!();
      this.streams = [new PduStream(http2 as never, conv, budget), new PduStream(http2 as never, conv, budget)];
      return;
    }
    if (alpn.startsWith('http/1') || (alpn === '' && startsHttpMessage(data, 0, data.length))) {
      const conv = http.spec.tcpPdu!.newConversation!() as HttpConversation;
      conv.secure = true;
      this.streams = [new PduStream(http as never, conv, budget), new PduStream(http as never, conv, budget)];
      this.app = App.Http1;
      return;
    }
    this.app = App.Other;
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
  /** What the PDUs of HTTP and HTTP/2 being collected across records may hold, over all connections. */
  private readonly pduBudget = new PduBudget();
  // Info items rebuilt per frame (reused)
  private readonly infoKind = new Uint8Array(MAX_TLS_INFO);
  private readonly infoValue = new Uint16Array(MAX_TLS_INFO);
  /** Per record of the frame: type of a decrypted handshake message that starts in it and continues later, else -1. */
  private readonly fragmentType = new Int16Array(MAX_TLS_RECORDS);
  /** Per record of the frame: what its decrypted application data was to HTTP or HTTP/2 (AppRecord), and its Info words. */
  private readonly appKind = new Uint8Array(MAX_TLS_RECORDS);
  private readonly appText: string[] = new Array<string>(MAX_TLS_RECORDS).fill('');
  /** Per Info item after rewriting: the protected record it stands for, else -1. */
  private readonly itemRecord = new Int16Array(MAX_TLS_INFO);
  private readonly hello = new HelloView();

  constructor(readonly keylog: KeyLog, private readonly reader: CaptureFileReader | null = null) {
    // a file's key log is complete when reading starts; live, secrets may trail the packets
    this.ctx = new DecryptContext(keylog, undefined, reader === null);
  }

  analyze(d: Dissection): void {
    const info = decryptInfoOf(d);
    info.reset();
    if (this.reader !== null && this.reader.secrets.length > 0) this.keylog.addSecrets(this.reader.secrets);
    const t = d.tls;
    if (t.stream < 0 || (t.recordCount === 0 && t.recordsOmitted === 0)) return;
    let conn = this.conns.get(t.stream);
    if (conn === undefined) {
      if (this.conns.size >= MAX_CONNECTIONS) {
        for (const [k, c] of this.conns) {
          if (c.streams !== null) for (const st of c.streams) st.release();
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
    let anyApp = false;
    for (let r = 0; r < t.recordCount; r++) {
      this.fragmentType[r] = -1;
      this.appKind[r] = AppRecord.None;
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
          if (res.contentType === CT_HANDSHAKE) this.handshake(t, conn, conn.hs[dir], plain, r, dec.version);
          else if (res.contentType === CT_APPLICATION_DATA && plain.length > 0) anyApp = this.application(d, conn, dir, plain, r) || anyApp;
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
    info.appProto = conn.alpn;
    this.rewriteInfo(t, info);
    if (anyApp) this.columns(d, t, info);
  }

  /**
   * Decrypted application data of record r: the PDUs of HTTP/1.x or HTTP/2 it completes are
   * dissected into the frame. Returns whether the record was handed to one of them.
   */
  private application(d: Dissection, conn: Connection, dir: number, data: Buffer, r: number): boolean {
    if (conn.app === App.Undecided) conn.decide(dir, data, '', this.pduBudget);
    if (conn.streams === null) return false;
    const stream = conn.streams[dir];
    if (stream.notMine) return false;
    if (conn.app === App.Http1) {
      const layer = http.layer(d);
      const before = layer.frame === d.number ? layer.count : 0;
      const n = stream.feed(d, data);
      if (stream.notMine && n === 0) return false;
      this.appKind[r] = n > 0 ? AppRecord.Http : AppRecord.Segment;
      if (n > 0) this.appText[r] = httpInfoText(layer, before, layer.count);
    } else {
      const layer = http2.layer(d);
      const before = layer.frameNumber === d.number ? layer.count : 0;
      const n = stream.feed(d, data);
      if (stream.notMine && n === 0) return false;
      this.appKind[r] = n > 0 ? AppRecord.Http2 : AppRecord.Segment;
      if (n > 0) this.appText[r] = layer.framesText(before, layer.count);
    }
    return true;
  }

  /**
   * The Protocol and Info columns of a frame whose records carried HTTP or HTTP/2, as tshark's
   * dissectors write them in record order: TLS appends its words; HTTP replaces what stands after
   * the last fence with its messages' first lines; HTTP/2 clears that once and appends its frames;
   * a record that completes nothing sets "[TLS segment of a reassembled PDU]" and the TLS version.
   * Each protocol's text is fenced off from what follows.
   */
  private columns(d: Dissection, t: TlsInfo, info: TlsDecryptInfo): void {
    const tlsName = versionShortName(t.protoVersion) ?? 'SSL';
    let protocol = tlsName;
    let text = '';
    let fence = 0;
    let h2Cleared = false;
    for (let k = 0; k < t.infoCount; k++) {
      const r = this.itemRecord[k];
      const kind = r >= 0 ? this.appKind[r] : AppRecord.None;
      switch (kind) {
        case AppRecord.None: {
          const w = tlsInfoWord(t.infoKind[k] as InfoKind, t.infoValue[k]);
          text += (text.length > 0 ? ', ' : '') + w;
          break;
        }
        case AppRecord.Http:
          protocol = http.spec.column!(d, http.layer(d));
          text = text.slice(0, fence) + this.appText[r];
          fence = text.length;
          break;
        case AppRecord.Http2:
          protocol = 'HTTP2';
          if (!h2Cleared) {
            text = text.slice(0, fence);
            h2Cleared = true;
          }
          text += (text.length > fence ? ', ' : '') + this.appText[r];
          fence = text.length;
          break;
        case AppRecord.Segment:
          protocol = tlsName;
          text = text.slice(0, fence) + TLS_SEGMENT;
          break;
      }
    }
    info.columnProtocol = protocol;
    info.columnInfo = text;
    if (d.hasLayer(http.id)) http.layer(d).infoOverride = text;
    if (d.hasLayer(http2.id)) http2.layer(d).infoOverride = text;
  }

  /** Decrypted handshake bytes of record r: complete messages are added to the frame's messages. */
  private handshake(t: TlsInfo, conn: Connection, col: HandshakeCollector, plain: Buffer, r: number, version: number): void {
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
      if (b[p] === HandshakeType.EncryptedExtensions && this.hello.parseOther(b, p, p + HS_HEADER_LEN + len, version)) {
        const alpn = alpnProto(this.hello);
        if (alpn !== AppProto.None) conn.alpn = alpn;
      }
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
    this.itemRecord.fill(-1);
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
    const items = this.itemRecord;
    let itemRec = -1;
    const push = (k: InfoKind, v: number): boolean => {
      if (n >= MAX_TLS_INFO) return false;
      kinds[n] = k;
      values[n] = v;
      items[n] = itemRec;
      n++;
      return true;
    };

    for (let k = 0; k < t.infoCount; k++) {
      const kind = t.infoKind[k] as InfoKind;
      itemRec = -1;
      if (kind !== InfoKind.ApplicationData && kind !== InfoKind.EncryptedHandshake && kind !== InfoKind.EncryptedAlert) {
        if (!push(kind, t.infoValue[k])) return;
        continue;
      }
      const rec = nextProtected();
      itemRec = rec;
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
    if (nextProtected() >= 0) {
      // protected records without an item: leave the column alone
      this.itemRecord.fill(-1);
      return;
    }
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
