// The columnar packet index: what the list, colours, conversations, statistics and filters need
// about every packet, as numbers in PacketChunk columns, plus small side tables (addresses, link
// types, application summaries, Dup ACK numbers, TLS names per stream). No object per packet.
//
// One PacketIndex writes (the indexer: in a separate process for files) and, then, a second one in
// the UI process reads: the writer reports table entries through `sink` and sends new rows
// (rowBytes); the reader applies them (chunkForRows, addLink, …) and learns the count from progress.

import { Dissection, Malformed, Proto, isIpv6Extension } from '../decode/dissection';
import { SegmentRole, MAX_TLS_INFO } from '../tls/tls-info';
import { decryptInfoOf } from '../tls/decrypt-info';
import { TcpAnalysisFlag as AF } from '../analysis/tcp-analysis';
import { IP4_SRC, IP4_DST, IP6_SRC, IP6_DST } from '../decode/ip';
import { ETH_SRC, ETH_DST } from '../decode/link';
import { TH_ACK, TH_SYN, TH_FIN } from '../decode/tcp';
import { getField, FieldDef, Span } from '../fields/registry';
import { appSummary, infoColumn, transportInfo, transportProtocol } from '../output/summary';
import { isRegistered } from '../decode/protocol-registry';
import { AddressTable, AddrKind } from './addresses';
import { StreamVerdictTable, TlsStreamTable, TlsStreamInfo } from './stream-tables';
import {
  PacketChunk, CHUNK_BITS, CHUNK_MASK, Misc, NO_STREAM, APP_NOT_STORED, tlsContentBit, tlsHandshakeBit, TlsHandshakeBit,
} from './columns';

export interface LinkEntry {
  linkType: number;
  ifIndex: number;
}

export interface AppEntry {
  protocol: string;
  info: string;
}

export { TlsStreamInfo };

/** Table entries a reader needs to mirror a writer (rows and addresses it reads from the columns). */
export interface IndexSink {
  link(id: number, e: LinkEntry): void;
  app(id: number, e: AppEntry): void;
  dupAck(packet: number, of: number, num: number): void;
  tlsStream(stream: number, info: TlsStreamInfo): void;
}

// The application summary table is bounded: a capture of a million distinct DNS names must not
// turn into a million strings. Rows beyond it are summarised by replaying their stream.
const MAX_APPS = APP_NOT_STORED - 1;
const MAX_APP_MEMO = 65536;
const MAX_APP_CHARS = 32 * 1024 * 1024;

const TWO32 = 4294967296;

export class PacketIndex {
  count = 0;
  readonly chunks: PacketChunk[] = [];
  readonly addresses = new AddressTable();
  readonly links: LinkEntry[] = [];
  readonly apps: AppEntry[] = [{ protocol: '', info: '' }];
  /** Packet index → Dup ACK details (frame number of the original ACK × 65536 + count). */
  readonly dupAcks = new Map<number, number>();
  readonly tlsStreams = new TlsStreamTable();
  /** Per stream: plaintext, encrypted, decrypted … and the payload's entropy (filled by Indexer.syncVerdicts or from the indexing process). */
  readonly verdicts = new StreamVerdictTable();
  /** Number of tcp.stream values seen (the highest stream id + 1). */
  streamCount = 0;
  sink: IndexSink | null = null;

  // writer state
  private readonly linkIds = new Map<number, number>();
  private readonly appIds = new Map<string, Map<string, number>>();
  private readonly appIdsMalformed = new Map<string, Map<string, number>>();
  private lastLinkKey = -1;
  private lastLinkId = 0;
  private appChars = 0;
  private fieldsLooked = false;
  private fSni: FieldDef | undefined;
  private readonly span = new Span();
  private recycledBefore = 0;
  /** Application rows of TLS frames by the numbers their summary follows from (see appId). */
  private readonly appMemo = new Map<number, Int32Array[]>();
  private appMemoSize = 0;
  private readonly sig = new Int32Array(3 + MAX_TLS_INFO);
  private spare: SharedArrayBuffer | null = null;

  // ---------------------------------------------------------------- reader side

  /** The chunk that rows of chunk number `ci` from the writer go into (src/store/index-pipe.ts fills its columns). */
  chunkForRows(ci: number): PacketChunk {
    let c = this.chunks[ci];
    if (c === undefined) {
      c = new PacketChunk();
      this.chunks[ci] = c;
    }
    return c;
  }

  /** Rows [from, to) of chunk `ci` as bytes, column after column (PacketChunk.columns order), for the reader's side. */
  rowBytes(ci: number, from: number, to: number): Buffer[] {
    const c = this.chunks[ci];
    return c.columns.map((col) => Buffer.from(col.buffer, col.byteOffset + from * col.BYTES_PER_ELEMENT, (to - from) * col.BYTES_PER_ELEMENT));
  }

  /**
   * Writer side, for a writer that only passes rows on (the indexing process): rows of chunks before
   * `ci` are not read again, so the next new chunk reuses their memory (instead of faulting in 4 MiB
   * more) and those chunks' rows are no longer valid.
   */
  recycleChunksBefore(ci: number): void {
    if (ci > this.recycledBefore) {
      this.spare = this.chunks[ci - 1].sab;
      this.recycledBefore = ci;
    }
  }

  chunkOf(i: number): PacketChunk {
    return this.chunks[i >>> CHUNK_BITS];
  }

  addLink(id: number, e: LinkEntry): void {
    this.links[id] = e;
  }

  addApp(id: number, e: AppEntry): void {
    this.apps[id] = e;
  }

  /** Time of packet i in seconds since the epoch (as a double, for arithmetic and charts). */
  time(i: number): number {
    const c = this.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    return c.tsSec[j] + c.tsNsec[j] / 1e9;
  }

  // ---------------------------------------------------------------- writer side

  private lookUpFields(): void {
    // The server name is read through the registry (the TLS module declares the field, when present).
    this.fieldsLooked = true;
    this.fSni = getField('tls.handshake.extensions_server_name');
  }

  private linkId(linkType: number, ifIndex: number): number {
    const key = ifIndex * 65536 + linkType;
    if (key === this.lastLinkKey) return this.lastLinkId;
    let id = this.linkIds.get(key);
    if (id === undefined) {
      // More than 255 interfaces is not a capture tcpwatch expects; later ones share the last id.
      id = Math.min(this.links.length, 255);
      if (id === this.links.length) {
        const e = { linkType, ifIndex };
        this.links.push(e);
        this.sink?.link(id, e);
      }
      this.linkIds.set(key, id);
    }
    this.lastLinkKey = key;
    this.lastLinkId = id;
    return id;
  }

  private appId(d: Dissection): number {
    const role = d.tls.role;
    if ((role !== SegmentRole.Tls && role !== SegmentRole.PduStart) || (d.tcp.flags & AF.DuplicateAck) !== 0) return this.appIdOf(d);
    // What decrypted records carried (an HTTP request, its response) is not in the records' Info
    // words: two frames of one Application Data record each would share the first one's row.
    if (decryptInfoOf(d).count > 0) return this.appIdOf(d);
    // The summary of a TLS frame (src/tls/summary.ts) follows from its role, the version, the TCP
    // findings that prefix Info (a Dup ACK's names frame numbers: not remembered) and the records'
    // Info words: frames that agree on those numbers share a row, found without building its strings.
    const t = d.tls, sig = this.sig;
    sig[0] = role | (t.protoVersion << 8);
    sig[1] = d.tcp.flags | (d.malformed << 16);
    sig[2] = t.infoCount | (t.infoOmitted << 8);
    let n = 3, h = Math.imul(2166136261 ^ sig[0], 16777619);
    h = Math.imul(h ^ sig[1], 16777619);
    h = Math.imul(h ^ sig[2], 16777619);
    for (let k = 0; k < t.infoCount; k++) {
      const v = t.infoKind[k] | (t.infoValue[k] << 8);
      sig[n++] = v;
      h = Math.imul(h ^ v, 16777619);
    }
    const known = this.appMemo.get(h);
    if (known !== undefined) {
      for (let e = 0; e < known.length; e++) {
        const m = known[e];
        if (m.length !== n + 1) continue;
        let same = true;
        for (let k = 0; k < n && same; k++) same = m[k] === sig[k];
        if (same) return m[n];
      }
    }
    const id = this.appIdOf(d);
    if (id !== APP_NOT_STORED && this.appMemoSize < MAX_APP_MEMO) {
      const m = new Int32Array(n + 1);
      m.set(sig.subarray(0, n));
      m[n] = id;
      if (known !== undefined) known.push(m);
      else this.appMemo.set(h, [m]);
      this.appMemoSize++;
    }
    return id;
  }

  private appIdOf(d: Dissection): number {
    // A frame whose columns an analysis stage decided (a registered protocol's layer it kept or
    // took back, SSH's pieces of a PDU) keeps them: a re-decode of the bare frame would not know.
    const app = appSummary(d) ?? (d.layerTakenBack || hasRegisteredLayer(d) ? { protocol: transportProtocol(d), info: transportInfo(d) } : null);
    if (app === null) return 0;
    // Looked up by the summary's own strings (no key built per packet); a malformed frame's Info
    // differs from its summary, so those have a table of their own.
    const tables = d.malformed !== 0 ? this.appIdsMalformed : this.appIds;
    let byInfo = tables.get(app.protocol);
    if (byInfo === undefined) {
      byInfo = new Map();
      tables.set(app.protocol, byInfo);
    }
    let id = byInfo.get(app.info);
    if (id !== undefined) return id;
    if (this.apps.length > MAX_APPS || this.appChars > MAX_APP_CHARS) return APP_NOT_STORED;
    id = this.apps.length;
    const e = { protocol: app.protocol, info: infoColumn(d) };
    this.apps.push(e);
    this.appChars += e.protocol.length + e.info.length;
    byInfo.set(app.info, id);
    this.sink?.app(id, e);
    return id;
  }

  /** Add the analysed frame in `d`, whose captured bytes are at `dataOff` in the frame storage; returns its index. */
  append(d: Dissection, dataOff: number): number {
    if (!this.fieldsLooked) this.lookUpFields();
    const i = this.count;
    const ci = i >>> CHUNK_BITS;
    if (ci === this.chunks.length) {
      this.chunks.push(this.spare !== null ? new PacketChunk(this.spare) : new PacketChunk());
      this.spare = null;
    }
    const c = this.chunks[ci], j = i & CHUNK_MASK;
    c.tsSec[j] = d.tsSec;
    c.tsNsec[j] = d.tsNsec;
    c.dataOff[j] = dataOff;
    c.capLen[j] = d.capLen;
    c.origLen[j] = d.origLen;
    c.link[j] = this.linkId(d.linkType, d.ifIndex);
    c.proto[j] = transportLayer(d);

    // Source and Destination as summary.ts's sourceColumn/destinationColumn choose them.
    const a = this.addresses, buf = d.buf;
    if (d.netOff >= 0) {
      if (d.netVersion === 4) {
        c.src[j] = a.intern(AddrKind.IPv4, buf, d.netOff + IP4_SRC, 4);
        c.dst[j] = a.intern(AddrKind.IPv4, buf, d.netOff + IP4_DST, 4);
      } else {
        c.src[j] = a.intern(AddrKind.IPv6, buf, d.netOff + IP6_SRC, 16);
        c.dst[j] = a.intern(AddrKind.IPv6, buf, d.netOff + IP6_DST, 16);
      }
    } else if (d.ethOff >= 0) {
      c.src[j] = a.intern(AddrKind.Ether, buf, d.ethOff + ETH_SRC, 6);
      c.dst[j] = a.intern(AddrKind.Ether, buf, d.ethOff + ETH_DST, 6);
    } else {
      c.src[j] = 0;
      c.dst[j] = 0;
    }
    c.srcPort[j] = d.srcPort;
    c.dstPort[j] = d.dstPort;
    c.tcpFlags[j] = d.tcpOff >= 0 ? d.tcpFlags : 0;

    const t = d.tcp;
    let misc = d.malformed & Misc.MalformedMask;
    if (d.inIcmpError) misc |= Misc.IcmpQuote;
    c.stream[j] = t.stream;
    if (t.stream !== NO_STREAM) {
      c.relSeq[j] = t.relSeq;
      c.relAck[j] = t.relAck;
      c.window[j] = t.windowSize;
      c.analysis[j] = t.flags;
      if (t.direction !== 0) misc |= Misc.FromServer;
      if (t.ackBase >= 0) misc |= Misc.AckRelative;
      if (t.useAce) misc |= Misc.UseAce;
      if (t.duplicateAckNum > 0) {
        misc |= Misc.HasDupAck;
        const num = Math.min(t.duplicateAckNum, 65535);
        this.dupAcks.set(i, t.dupAckOf * 65536 + num);
        this.sink?.dupAck(i, t.dupAckOf, num);
      }
      if (t.stream >= this.streamCount) this.streamCount = t.stream + 1;
    } else {
      c.relSeq[j] = 0;
      c.relAck[j] = 0;
      c.window[j] = -1;
      c.analysis[j] = 0;
    }
    c.misc[j] = misc;

    // TLS records and handshake messages as the TLS analyzer left them in d.tls (a TLS 1.3
    // protected record counts under its outer type, application data, as on the wire).
    let content = 0, handshake = 0;
    const tls = d.tls;
    for (let k = 0; k < tls.recordCount; k++) content |= tlsContentBit(tls.contentType[k]);
    for (let k = 0; k < tls.msgCount; k++) handshake |= tlsHandshakeBit(tls.msgType[k]);
    if ((handshake & (TlsHandshakeBit.ClientHello | TlsHandshakeBit.ServerHello)) !== 0 && t.stream !== NO_STREAM) {
      this.noteTlsStream(d, t.stream, (handshake & TlsHandshakeBit.ServerHello) !== 0);
    }
    c.tlsContent[j] = content;
    c.tlsHandshake[j] = handshake;
    c.app[j] = this.appId(d);
    this.count = i + 1;
    return i;
  }

  private fieldText(f: FieldDef | undefined, d: Dissection): string {
    if (f === undefined || f.count(d) === 0) return '';
    if (f.text) return f.text(d, 0);
    if (f.bytes && f.bytes(d, 0, this.span)) return this.span.buf.toString('latin1', this.span.off, this.span.off + this.span.len);
    if (f.num) return String(f.num(d, 0));
    return '';
  }

  private noteTlsStream(d: Dissection, stream: number, serverHello: boolean): void {
    const prev = this.tlsStreams.get(stream);
    if (prev !== undefined && prev.sni !== '' && prev.version !== '') return;
    const sni = this.fieldText(this.fSni, d);
    // The version the Server Hello settled on, as the Protocol column names it from then on.
    const version = serverHello && d.tls.protoVersion !== 0 ? tlsVersionName(d.tls.protoVersion) : '';
    if (!sni && !version) return;
    const info: TlsStreamInfo = { sni: sni || prev?.sni || '', version: version || prev?.version || '' };
    if (prev && prev.sni === info.sni && prev.version === info.version) return;
    this.tlsStreams.set(stream, info);
    this.sink?.tlsStream(stream, info);
  }

  // ---------------------------------------------------------------- restoring a packet

  /**
   * Fill what decoding alone cannot know for packet i into `d`, which holds the re-decoded frame:
   * its number, times, interface and the TCP analysis results stored at indexing time.
   */
  restore(i: number, d: Dissection): void {
    const c = this.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    d.number = i + 1;
    d.tsSec = c.tsSec[j];
    d.tsNsec = c.tsNsec[j];
    d.origLen = c.origLen[j];
    const link = this.links[c.link[j]];
    d.ifIndex = link !== undefined ? link.ifIndex : 0;
    const c0 = this.chunks[0];
    d.firstTsSec = c0.tsSec[0];
    d.firstTsNsec = c0.tsNsec[0];
    if (i > 0) {
      const p = this.chunks[(i - 1) >>> CHUNK_BITS], pj = (i - 1) & CHUNK_MASK;
      d.prevTsSec = p.tsSec[pj];
      d.prevTsNsec = p.tsNsec[pj];
    } else {
      d.prevTsSec = d.tsSec;
      d.prevTsNsec = d.tsNsec;
    }
    const stream = c.stream[j];
    if (stream === NO_STREAM || d.tcpOff < 0 || d.inIcmpError) return;
    const t = d.tcp, misc = c.misc[j];
    t.stream = stream;
    t.relSeq = c.relSeq[j];
    t.relAck = c.relAck[j];
    let next = t.relSeq + d.payloadLen;
    if (d.tcpFlags & TH_SYN) next++;
    if (d.tcpFlags & TH_FIN) next++;
    t.nxtSeq = next;
    t.direction = misc & Misc.FromServer ? 1 : 0;
    t.hasAck = (d.tcpFlags & TH_ACK) !== 0;
    t.flags = c.analysis[j];
    t.windowSize = c.window[j];
    t.useAce = (misc & Misc.UseAce) !== 0;
    // relAck = ackRaw - base, so the base comes back from the frame itself.
    t.ackBase = misc & Misc.AckRelative ? (d.ackRaw - t.relAck + TWO32) % TWO32 : -1;
    if (misc & Misc.HasDupAck) {
      const v = this.dupAcks.get(i);
      if (v !== undefined) {
        t.dupAckOf = Math.floor(v / 65536);
        t.duplicateAckNum = v % 65536;
      }
    }
  }

  /** Malformed layer of packet i (Malformed.None when well formed). */
  malformed(i: number): Malformed {
    return (this.chunks[i >>> CHUNK_BITS].misc[i & CHUNK_MASK] & Misc.MalformedMask) as Malformed;
  }
}

/** The innermost layer up to the transport (application layers such as TLS are in their own columns). */
function transportLayer(d: Dissection): number {
  for (let k = d.stackLen - 1; k >= 0; k--) {
    const p = d.stack[k];
    if (p !== Proto.Tls && p !== Proto.Data && !isIpv6Extension(p)) return p;
  }
  return 0;
}

/** A TLS version number as Wireshark names it. */
export function tlsVersionName(v: number): string {
  switch (v) {
    case 0x0300: return 'SSL 3.0';
    case 0x0301: return 'TLS 1.0';
    case 0x0302: return 'TLS 1.1';
    case 0x0303: return 'TLS 1.2';
    case 0x0304: return 'TLS 1.3';
    default: return `0x${v.toString(16).padStart(4, '0')}`;
  }
}

/** Whether the frame's decode reached a registered protocol (whose stage may have changed what the columns say). */
function hasRegisteredLayer(d: Dissection): boolean {
  for (let i = 0; i < d.stackLen; i++) if (isRegistered(d.stack[i])) return true;
  return false;
}
