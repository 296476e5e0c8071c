// The explain view: one TCP stream as a ladder diagram (client and server as two columns, an arrow
// per packet with its flags, relative Seq/Ack and length) and, beside each arrow, a sentence saying
// what the packet does in this connection. Sentences come from the analysis state: the TCP
// analyzer's relative numbers, segment roles and tcp.analysis findings (d.tcp); what the TLS
// dissector made of the segment (its Info words, its fields by their Wireshark names) and what the
// key log decrypted; and what this module has seen of the connection so far (handshake steps, FINs
// and whether they were acknowledged, the highest sequence number each side has sent).
//
// Not the hot path: explain runs on the packets of the streams a person asked about, and builds
// strings for each of them.

import { Dissection, Proto } from '../decode/dissection';
import { TH_ACK, TH_AE, TH_CWR, TH_ECE, TH_FIN, TH_PSH, TH_RST, TH_SYN, TH_URG } from '../decode/tcp';
import { TcpAnalysisFlag as AF, TcpRole, TcpState } from '../analysis/tcp-analysis';
import { tcpFlagsList } from '../fields/tcp';
import { getField, FieldDef } from '../fields/registry';
import { formatField } from '../fields/format';
import { REASSEMBLED_PDU } from '../analysis/pdu-frame';
import { appSummary, destinationColumn, sourceColumn, tcpAnalysisPrefix } from '../output/summary';
import { sanitizeBytes, sanitizeText } from '../output/sanitize';
import { relativeTime, Sink } from '../output/sinks';
import { OutputBuffer } from '../output/stdout';
import { UsageError } from '../errors';
import { cipherSuite } from '../tls/cipher-suites';
import { decryptInfoOf } from '../tls/decrypt-info';
import { CT_APPLICATION_DATA } from '../tls/decrypt';
import { versionName, versionShortName } from '../tls/records';
import { tlsInfoText } from '../tls/summary';
import { SegmentRole } from '../tls/tls-info';
import { interfaceDeclared, interfaceName } from '../capture/interface-names';
import { transmissionKey, findRetransmissions, RetransmissionCause } from './statistics/pairs';

/** One arrow of the ladder and its sentence. */
export interface ExplainRow {
  /** frame.number */
  number: number;
  /** Seconds since the first frame of the capture, as the packet list shows them. */
  time: string;
  fromClient: boolean;
  /** Flags as the Info column lists them ("SYN, ACK"). */
  flags: string;
  seq: number;
  ack: number;
  hasAck: boolean;
  len: number;
  /** The TCP flags as bits, 0 on an ICMP error's row. */
  tcpFlags: number;
  /** Replaces the flags/Seq/Ack label on the arrow (an ICMP error quoting a segment of the stream). */
  label?: string;
  sentence: string;
  /**
   * A stream seen at two capture points (interfaces of one capture): when this transmission passed
   * each point, in ns since the capture's first frame, NaN where it was not seen. One row per
   * transmission: the copy at the other point fills its lane instead of making a row.
   */
  at?: [number, number];
  /** The lane (0 or 1) of the copy the row was made from: the first one seen. */
  lane?: number;
}

const enum Handshake {
  None,
  SynSent,
  SynAckSent,
  Established,
}

// How many recent data segments per side are remembered to name the frame a retransmission repeats.
const RECENT_SEGMENTS = 256;
const PREVIEW_BYTES = 40;
const PREVIEW_SCAN_BYTES = 64;

/** Sequence-space comparison (RFC 9293 §3.4: arithmetic modulo 2^32). */
function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

class SideState {
  synSeen = false;
  synSeqRaw = 0;
  /** Whether this side has sent any segment, and the highest relative nxtSeq among them. */
  sent = false;
  maxNxt = 0;
  /** Relative sequence number of this side's FIN, -1 before it sends one. */
  finSeq = -1;
  finFrame = 0;
  /** Frame in which the peer acknowledged this side's FIN (0: not yet). */
  finAckedFrame = 0;
  /** Highest acknowledgement this side has sent, -1 before its first ACK, the frame that first sent it, and how many duplicates followed. */
  ackedUpTo = -1;
  lastAckFrame = 0;
  dupAcks = 0;
  lastWindow = -1;
  halfCloseNoted = false;
  /** Whether this side's last segment was a keep-alive probe, so the peer's next ACK answers it. */
  sentKeepAlive = false;
  /** Last frame in which this side sent payload, and how much. */
  lastDataFrame = 0;
  lastDataLen = 0;
  // Allocated on the first data segment and grown to RECENT_SEGMENTS: most streams of a flood (a
  // SYN scan) never carry data, and two full rings per stream were 6 KB of a stream's ~7.
  private recentSeq: Float64Array | null = null;
  private recentFrame: Int32Array | null = null;
  private recentCount = 0;

  rememberSegment(seq: number, frame: number): void {
    const cap = this.recentSeq === null ? 0 : this.recentSeq.length;
    if (this.recentCount >= cap && cap < RECENT_SEGMENTS) {
      const grown = Math.min(RECENT_SEGMENTS, Math.max(8, cap * 2));
      const seqs = new Float64Array(grown), frames = new Int32Array(grown);
      if (cap > 0) { seqs.set(this.recentSeq!); frames.set(this.recentFrame!); }
      this.recentSeq = seqs;
      this.recentFrame = frames;
    }
    // Below RECENT_SEGMENTS the count is inside the ring; at it, the oldest is overwritten.
    const i = this.recentCount % this.recentSeq!.length;
    this.recentSeq![i] = seq;
    this.recentFrame![i] = frame;
    this.recentCount++;
  }

  /** Frame that first carried data starting at seq, 0 when not remembered. */
  firstFrameWith(seq: number): number {
    if (this.recentSeq === null) return 0;
    const seqs = this.recentSeq, frames = this.recentFrame!;
    const n = Math.min(this.recentCount, seqs.length);
    let found = 0;
    for (let k = 0; k < n; k++) {
      if (seqs[k] === seq && (found === 0 || frames[k] < found)) found = frames[k];
    }
    return found;
  }
}

const bytes = (n: number): string => (n === 1 ? '1 byte' : `${n} bytes`);

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The payload as quoted text when it reads as text ("Hey"), '' when it is binary. Sanitized. */
export /** A duration as a person reads it: `850 µs`, `205 ms`, `1.50 s`. */
function duration(seconds: number): string {
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)} µs`;
  if (seconds < 1) return `${Math.round(seconds * 1e3)} ms`;
  return `${seconds.toFixed(2)} s`;
}

function payloadPreview(d: Dissection): string {
  return textPreview(d.buf, d.payloadOff, d.payloadCapLen, d.payloadLen);
}

/** Bytes [off, off + len) of buf (of `total` in all) as quoted, sanitized text, or '' when they are binary. */
export function textPreview(buf: Buffer, off: number, len: number, total: number): string {
  const n = Math.min(len, PREVIEW_SCAN_BYTES);
  if (n <= 0) return '';
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[off + i];
    if (b === 0) return '';
    if (b < 0x80) {
      if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) odd++;
      continue;
    }
    // A UTF-8 lead byte must be followed by its continuation bytes (RFC 3629 §3); anything else is binary.
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) { odd++; continue; }
    let k = 1;
    while (k <= need && i + k < n && (buf[off + i + k] & 0xc0) === 0x80) k++;
    if (k <= need && i + k < n) { odd++; continue; }
    i += k - 1;
  }
  // Control bytes in text (an escape sequence in a chat line) are shown escaped; when a quarter of
  // the bytes are neither printable nor UTF-8, they are binary, and a preview would be noise.
  if (odd * 4 > n) return '';
  const shown = Math.min(len, PREVIEW_BYTES);
  const more = total > shown ? '…' : '';
  return `"${sanitizeBytes(buf, off, shown)}${more}"`;
}

// ---- the application layer: the TLS dissector's Info words, and its fields by their Wireshark names,
// so this file does not depend on how src/tls/ stores what it found ----

const tlsVersionName = (v: number): string => versionName(v, 'version ');

const fieldCache = new Map<string, FieldDef | null>();
function field(name: string): FieldDef | null {
  let f = fieldCache.get(name);
  if (f === undefined) {
    f = getField(name) ?? null;
    // Fields are registered at import time; remember an absent one only once some TLS field exists.
    if (f !== null || getField('tls.record.content_type') !== undefined) fieldCache.set(name, f);
  }
  return f;
}

function numbers(d: Dissection, name: string): number[] {
  const f = field(name);
  if (f === null || f.num === undefined) return [];
  const n = f.count(d);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(f.num(d, i));
  return out;
}

function firstText(d: Dissection, name: string): string | null {
  const f = field(name);
  return f === null || f.count(d) === 0 ? null : formatField(f, d, 0);
}

/** Text from a field value (e.g. an SNI) made safe for a terminal. */
function safe(text: string): string {
  const b = Buffer.from(text, 'utf8');
  return sanitizeBytes(b, 0, b.length);
}

function cipherSuiteName(d: Dissection): string | null {
  const f = field('tls.handshake.ciphersuite');
  if (f === null || f.count(d) === 0 || f.num === undefined) return null;
  const v = f.num(d, 0);
  return cipherSuite(v)?.name ?? `0x${v.toString(16).padStart(4, '0')}`;
}

// What the messages a learner meets in a handshake are for (RFC 5246 §7.4, RFC 8446 §4).
const TLS_GLOSSES: Readonly<Record<string, string>> = {
  'Certificate': 'the certificate chain that proves who this side is',
  'Server Key Exchange': "the server's signed key share",
  'Server Hello Done': 'the server waits for the client',
  'Client Key Exchange': "the client's key share: both sides can now compute the keys",
  'Encrypted Extensions': "the rest of the server's choices, already encrypted",
  'Certificate Verify': "a signature over the handshake with the certificate's key",
  'Finished': 'proves that both sides saw the same handshake',
  'New Session Ticket': 'lets the client resume later without a full handshake',
  'Encrypted Handshake Message': 'the first message under the new keys: Finished, in TLS 1.2',
  'Encrypted Alert': 'which alert is encrypted too; often close_notify, the end of the data',
  'Continuation Data': 'the rest of a record that began in an earlier segment',
};

// Commas that separate the Info column's words, not those inside "Alert (Level: Fatal, Description: …)".
const INFO_WORD_SEPARATOR = /, (?![^(]*\))/;

/**
 * What the application-layer dissector (TLS, …) found in this segment, in words, or null when none
 * recognised it. The order of records and messages is the Info column's, which the dissector keeps;
 * Client Hello, Server Hello and Application Data get the details a learner looks for.
 */
export function appDescription(d: Dissection): string | null {
  let app = appSummary(d);
  if (app === null) return null;
  // Records that decrypted to HTTP name the frame after it; the explanation still walks the
  // records, whose application data it describes with what decryption found.
  if (decryptInfoOf(d).columnProtocol !== '' && d.tls.role === SegmentRole.Tls) {
    app = { protocol: versionShortName(d.tls.protoVersion) ?? 'SSL', info: tlsInfoText(d.tls) };
  }
  let info = app.info;
  const prefix = tcpAnalysisPrefix(d);
  if (prefix !== '' && info.startsWith(prefix)) info = info.slice(prefix.length).replace(/^, /, '');
  if (info.endsWith(REASSEMBLED_PDU)) return REASSEMBLED_PDU;
  if (!/^(TLS|SSL)/.test(app.protocol)) {
    // Another protocol's own words (`DNS: Standard query …`); none when it wrote nothing of substance.
    const words = info.trim().replace(/^(Client|Server):$/, '');
    return app.protocol === 'TCP' || words === '' ? null : `${app.protocol}: ${info.trimEnd()}`;
  }
  const tls13 = app.protocol === 'TLSv1.3';
  const words = info.split(INFO_WORD_SEPARATOR);
  const lengths = numbers(d, 'tls.record.length');
  const appDataWords = words.filter((w) => w === 'Application Data').length;
  const parts: string[] = [];
  for (let i = 0; i < words.length;) {
    let n = 1;
    while (i + n < words.length && words[i + n] === words[i]) n++;
    const w = words[i];
    if (w === 'Client Hello') parts.push(clientHelloSentence(d));
    else if (w === 'Server Hello') parts.push(serverHelloSentence(d));
    else if (w === 'Application Data') {
      const what = n === 1 ? 'Application Data' : `${n} Application Data records`;
      const plain = decryptedMeaning(d);
      if (plain !== null) {
        parts.push(`${what}, decrypted with the key log: ${plain}`);
      } else {
        // Record lengths belong to application data only when every record of the segment is some.
        const total = appDataWords === words.length && lengths.length === words.length ? lengths.reduce((a, b) => a + b, 0) : -1;
        parts.push(`${what}${total >= 0 ? `: ${total} encrypted bytes` : ' (encrypted)'}`);
      }
    } else if (w === 'Change Cipher Spec') {
      // RFC 8446 §D.4: TLS 1.3 keeps the message only so that middleboxes see a familiar handshake.
      parts.push(tls13 ? 'Change Cipher Spec (a no-op in TLS 1.3, kept for middleboxes)' : 'Change Cipher Spec: what this side sends next is encrypted');
    } else {
      const gloss = TLS_GLOSSES[w];
      parts.push((n === 1 ? w : `${w} ×${n}`) + (gloss !== undefined ? ` (${gloss})` : ''));
    }
    i += n;
  }
  return parts.join('; ');
}

function texts(d: Dissection, name: string): string[] {
  const f = field(name);
  if (f === null) return [];
  const n = f.count(d);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(formatField(f, d, i));
  return out;
}

/**
 * What decrypted application data says: the HTTP requests and responses in it, else the size and
 * start of the plaintext; null when nothing in the segment was decrypted.
 */
function decryptedMeaning(d: Dissection): string | null {
  const methods = texts(d, 'http.request.method'), uris = texts(d, 'http.request.uri');
  const codes = texts(d, 'http.response.code'), phrases = texts(d, 'http.response.phrase');
  const said: string[] = [];
  for (let i = 0; i < methods.length; i++) said.push(`HTTP request ${safe(methods[i])} ${safe(uris[i] ?? '')}`.trimEnd());
  for (let i = 0; i < codes.length; i++) said.push(`HTTP response ${codes[i]} ${safe(phrases[i] ?? '')}`.trimEnd());
  if (said.length > 0) return said.join(', ');
  const info = decryptInfoOf(d);
  const records = info.countDecrypted(CT_APPLICATION_DATA);
  if (records === 0) return null;
  let total = 0;
  for (let i = 0; i < records; i++) total += info.plain[info.nthDecrypted(CT_APPLICATION_DATA, i)].length;
  const first = info.plain[info.nthDecrypted(CT_APPLICATION_DATA, 0)];
  const text = textPreview(first, 0, first.length, records === 1 ? first.length : total);
  return `${bytes(total)} of plaintext${text ? ` (${text})` : ''}`;
}

function clientHelloSentence(d: Dissection): string {
  // The highest version offered in supported_versions (RFC 8446 §4.2.1), GREASE values left out (RFC 8701).
  const versions = numbers(d, 'tls.handshake.extensions.supported_version').filter((v) => (v & 0x0f0f) !== 0x0a0a);
  const legacy = numbers(d, 'tls.handshake.version');
  const best = versions.length ? Math.max(...versions) : legacy.length ? legacy[0] : 0;
  const sni = firstText(d, 'tls.handshake.extensions_server_name');
  const suites = field('tls.handshake.ciphersuite')?.count(d) ?? 0;
  let s = `Client Hello: ${best ? tlsVersionName(best) + ' offered' : 'version unknown'}`;
  s += sni !== null && sni !== '' ? `, SNI=${safe(sni)}` : ', no SNI';
  if (suites > 0) s += `, ${suites} cipher suite${suites === 1 ? '' : 's'}`;
  return s;
}

function serverHelloSentence(d: Dissection): string {
  // A TLS 1.3 server names its choice in supported_versions; the legacy field then says TLS 1.2.
  const versions = numbers(d, 'tls.handshake.extensions.supported_version');
  const legacy = numbers(d, 'tls.handshake.version');
  const chosen = versions.length ? versions[0] : legacy.length ? legacy[0] : 0;
  const suite = cipherSuiteName(d);
  return `Server Hello: ${chosen ? tlsVersionName(chosen) + ' chosen' : 'version unknown'}${suite ? `, cipher suite ${safe(suite)}` : ''}`;
}

// ---- the per-stream explainer ----

/**
 * Follows one TCP stream packet by packet and says what each packet does. Feed it the stream's
 * packets in capture order (after the TCP stream analyzer has filled d.tcp); each add() returns the
 * row for that packet. The UI builds one for the stream under the cursor; --explain one per stream.
 */
export class StreamExplainer {
  readonly rows: ExplainRow[] = [];
  /** tcp.direction of the client; -1 until the first packet. */
  clientDirection = -1;
  /** How the client was recognised: by its SYN, by the server's SYN/ACK, or guessed from the ports. */
  rolesFrom: 'syn' | 'syn-ack' | 'ports' = 'syn';
  clientEndpoint = '';
  serverEndpoint = '';
  private handshake = Handshake.None;
  private readonly sides = [new SideState(), new SideState()];
  /** Frames so far that carried a FIN or first acknowledged one: four of them make a four-way teardown. */
  private teardownSegments = 0;
  private firstFinAckedAlone = false;
  private closed = false;
  private lastWasKeepAlive = false;
  private derive = true;

  /** Interface ids of the capture points the stream was seen at, in order of first appearance: the lanes (at most two). */
  readonly points: number[] = [];
  /** Each transmission's row, by direction and transmissionKey, to find where its copy at the other point goes. */
  private copies: Map<string, ExplainRow> | null = null;

  constructor(readonly stream: number, readonly timeDigits = 6) {}

  /** The lane of the frame's capture point; -1 when the capture declares no interfaces or this is a third one. */
  private laneOf(d: Dissection): number {
    if (!interfaceDeclared(d.ifIndex)) return -1;
    const at = this.points.indexOf(d.ifIndex);
    if (at >= 0) return at;
    if (this.points.length >= 2) return -1;
    this.points.push(d.ifIndex);
    return this.points.length - 1;
  }

  add(d: Dissection): ExplainRow {
    const t = d.tcp;
    if (this.clientDirection < 0) this.recogniseRoles(d);
    const lane = d.inIcmpError ? -1 : this.laneOf(d);
    const key = lane >= 0 ? `${t.direction}/${transmissionKey(d)}` : '';
    const sinceFirst = (d.tsSec - d.firstTsSec) * 1e9 + (d.tsNsec - d.firstTsNsec);
    if (lane >= 0) {
      const first = this.copies?.get(key);
      // The same transmission at the other point: its lane of the row, not a packet of its own
      // (the ladder's sentences follow the connection as its first copies tell it).
      if (first !== undefined && Number.isNaN(first.at![lane])) {
        first.at![lane] = sinceFirst;
        return first;
      }
    }
    const row = this.addRow(d);
    if (lane >= 0) {
      row.at = [NaN, NaN];
      row.at[lane] = sinceFirst;
      row.lane = lane;
      (this.copies ??= new Map()).set(key, row);
    }
    return row;
  }

  private addRow(d: Dissection): ExplainRow {
    const t = d.tcp;
    const fromClient = t.direction === this.clientDirection;
    if (d.inIcmpError) {
      // Not a segment of the connection: a router's (or the peer host's) error about one. It travels
      // back toward the sender of the quoted segment, and changes nothing in the connection's state.
      const row: ExplainRow = {
        number: d.number, time: relativeTime(d, this.timeDigits), fromClient: !fromClient, flags: '', seq: t.relSeq,
        ack: t.relAck, hasAck: false, len: d.payloadLen, tcpFlags: 0, label: `[ICMP] ${icmpShortName(d)}`, sentence: icmpSentence(d, fromClient ? 'client' : 'server'),
      };
      this.rows.push(row);
      return row;
    }
    const row: ExplainRow = {
      number: d.number,
      time: relativeTime(d, this.timeDigits),
      fromClient,
      flags: tcpFlagsList(d.tcpFlags),
      seq: t.relSeq,
      ack: t.relAck,
      hasAck: (d.tcpFlags & TH_ACK) !== 0,
      len: d.payloadLen,
      tcpFlags: d.tcpFlags,
      sentence: this.describe(d, fromClient),
    };
    this.rows.push(row);
    return row;
  }

  private recogniseRoles(d: Dissection): void {
    const f = d.tcpFlags;
    const src = endpoint(sourceColumn(d), d.srcPort), dst = endpoint(destinationColumn(d), d.dstPort);
    let senderIsClient: boolean;
    if ((f & TH_SYN) && !(f & TH_ACK)) {
      senderIsClient = true;
      this.rolesFrom = 'syn';
    } else if ((f & TH_SYN) && (f & TH_ACK)) {
      senderIsClient = false;
      this.rolesFrom = 'syn-ack';
    } else {
      // No handshake captured: services listen on the lower port far more often than clients connect from it.
      senderIsClient = d.srcPort >= d.dstPort;
      this.rolesFrom = 'ports';
    }
    this.clientDirection = senderIsClient ? d.tcp.direction : 1 - d.tcp.direction;
    this.clientEndpoint = senderIsClient ? src : dst;
    this.serverEndpoint = senderIsClient ? dst : src;
  }

  private describe(d: Dissection, fromClient: boolean): string {
    const t = d.tcp;
    // The TCP analyzer classifies every segment it analyses (role) and reports tcp.analysis findings
    // in t.flags; only without it does this module derive retransmissions, duplicate ACKs and the like.
    this.derive = t.role === TcpRole.None;
    const me = this.sides[t.direction], peer = this.sides[1 - t.direction];
    const who = fromClient ? 'Client' : 'Server';
    const other = fromClient ? 'server' : 'client';
    const f = d.tcpFlags;
    const len = d.payloadLen;
    let s: string;

    if (f & TH_RST) s = this.resetSentence(d, who, me, peer);
    else if ((f & TH_SYN) && (f & TH_FIN)) s = `${who} sends SYN and FIN together: no TCP stack opens and closes in one segment; this is a probe or a scan`;
    else if ((f & TH_SYN) && !(f & TH_ACK)) s = this.synSentence(d, who, me, peer);
    else if (f & TH_SYN) s = this.synAckSentence(d, who, other, me, peer);
    else if (!(f & TH_ACK)) s = f === 0
      ? `${who} sends a segment with no flags at all: no TCP connection does this; it is a probe or a scan`
      : `${who} sends [${tcpFlagsList(f)}] without ACK: after the first SYN every segment of a connection carries ACK, so this is a probe or a scan`;
    else if (t.role === TcpRole.HandshakeAck || (this.handshake === Handshake.SynAckSent && fromClient && !(f & TH_FIN) && t.relAck === peer.maxNxt)) {
      s = `${who} completes the three-way handshake: ACK=${t.relAck} confirms the ${other}'s SYN`;
      this.handshake = Handshake.Established;
      if (len > 0) {
        const data = this.dataSentence(d, who, other, me, peer, false);
        s += data.startsWith(who + ' ') ? '; it ' + data.slice(who.length + 1) : '; ' + data;
      }
    } else if (f & TH_FIN) s = this.finSentence(d, who, other, me, peer);
    else if (len > 0 && !this.isKeepAlive(d, me)) s = this.dataSentence(d, who, other, me, peer, true);
    else s = this.ackSentence(d, who, other, me, peer);

    if (!(f & (TH_SYN | TH_RST))) {
      if (me.sent && seqAfter(t.relSeq, me.maxNxt) && (this.derive || (t.flags & AF.LostSegment))) s += `; the ${bytes((t.relSeq - me.maxNxt) >>> 0)} the ${who.toLowerCase()} sent before Seq=${t.relSeq} were not captured`;
      else if (t.flags & AF.LostSegment) s += `; an earlier segment from the ${who.toLowerCase()} was not captured`;
    }
    if ((f & TH_URG) && len > 0) s += `; URG marks urgent data (urgent pointer ${d.urgentPtr})`;
    if (t.flags & AF.PortsReused) s = `The ports of an earlier connection are used again. ${s}`;
    this.update(d, me, peer);
    return s;
  }

  /** Record what this packet tells about its sender, after its sentence is made. */
  private update(d: Dissection, me: SideState, peer: SideState): void {
    const t = d.tcp, f = d.tcpFlags;
    if (d.payloadLen > 0) {
      me.rememberSegment(t.relSeq, d.number);
      me.lastDataFrame = d.number;
      me.lastDataLen = d.payloadLen;
    }
    if (!me.sent || seqAfter(t.nxtSeq, me.maxNxt)) me.maxNxt = t.nxtSeq;
    me.sent = true;
    if ((f & TH_FIN) && me.finSeq < 0) {
      me.finSeq = t.relSeq + d.payloadLen;
      me.finFrame = d.number;
    }
    if (f & TH_ACK) {
      if (me.ackedUpTo < 0 || seqAfter(t.relAck, me.ackedUpTo)) {
        me.ackedUpTo = t.relAck;
        me.lastAckFrame = d.number;
        me.dupAcks = 0;
      }
      if (peer.finSeq >= 0 && peer.finAckedFrame === 0 && !seqAfter(peer.finSeq + 1, t.relAck)) peer.finAckedFrame = d.number;
    }
    me.lastWindow = windowOf(d);
    me.sentKeepAlive = this.lastWasKeepAlive;
    this.lastWasKeepAlive = false;
    if (f & TH_RST) this.closed = true;
  }

  private isKeepAlive(d: Dissection, me: SideState): boolean {
    if (d.tcp.flags & AF.KeepAlive) return true;
    if (!this.derive) return false;
    // RFC 9293 §3.8.4: a keep-alive carries the sequence number one below the next byte, and at most one byte.
    return me.sent && d.payloadLen <= 1 && !(d.tcpFlags & (TH_SYN | TH_FIN | TH_RST)) && d.tcp.relSeq === ((me.maxNxt - 1) >>> 0);
  }

  private synSentence(d: Dissection, who: string, me: SideState, peer: SideState): string {
    const t = d.tcp;
    let s: string;
    if (me.synSeen && d.seqRaw === me.synSeqRaw) {
      s = `${who} sends its SYN again (retransmission): no SYN/ACK has come back yet`;
    } else if (me.synSeen) {
      s = `${who} sends a new SYN with a different initial sequence number: a new attempt on the same ports`;
    } else if (peer.synSeen && !(this.handshake >= Handshake.SynAckSent)) {
      s = `${who} also sends a SYN without ACK: both sides open the connection at once (simultaneous open)`;
    } else {
      s = `${who} sends SYN to start the connection; its initial sequence number is shown as Seq=${t.relSeq}`;
    }
    const f = d.tcpFlags;
    if ((f & TH_AE) && (f & TH_CWR) && (f & TH_ECE)) s += '; AE, CWR and ECE ask for Accurate ECN (RFC 9768)';
    else if ((f & TH_CWR) && (f & TH_ECE)) s += '; ECE and CWR ask to use ECN congestion signals (RFC 3168)';
    if (d.payloadLen > 0) s += `; it already carries ${bytes(d.payloadLen)} of data (TCP Fast Open, RFC 7413)`;
    me.synSeen = true;
    me.synSeqRaw = d.seqRaw;
    if (this.handshake < Handshake.SynSent) this.handshake = Handshake.SynSent;
    return s;
  }

  private synAckSentence(d: Dissection, who: string, other: string, me: SideState, peer: SideState): string {
    const t = d.tcp;
    let s: string;
    if (me.synSeen && d.seqRaw === me.synSeqRaw) {
      s = `${who} sends its SYN/ACK again (retransmission): the ${other}'s ACK has not arrived`;
    } else {
      s = `${who} acknowledges the SYN (ACK=${t.relAck}) and sends its own SYN; its initial sequence number is also shown as Seq=${t.relSeq}`;
      if (peer.synSeen && t.relAck !== ((peer.maxNxt) >>> 0)) s += `; ACK=${t.relAck} does not match the ${other}'s SYN`;
    }
    const f = d.tcpFlags;
    if (f & (TH_AE | TH_CWR)) s += '; the AE, CWR and ECE bits agree to Accurate ECN';
    else if (f & TH_ECE) s += '; ECE agrees to use ECN';
    if (d.payloadLen > 0) s += `; it carries ${bytes(d.payloadLen)} of data already`;
    me.synSeen = true;
    me.synSeqRaw = d.seqRaw;
    this.handshake = Handshake.SynAckSent;
    return s;
  }

  private resetSentence(d: Dissection, who: string, me: SideState, peer: SideState): string {
    let s: string;
    if (this.handshake === Handshake.SynSent && peer.synSeen && !me.synSeen) {
      s = `${who} refuses the connection: RST answers the SYN because nothing accepts connections on port ${d.srcPort}`;
    } else if (this.closed) {
      s = `${who} sends another RST; the connection is already reset`;
    } else if (me.finSeq >= 0 && peer.lastDataFrame > me.finFrame) {
      s = `${who} answers with RST: after its FIN it closed the connection completely, not only its sending side, so the ${bytes(peer.lastDataLen)} the ${who === 'Client' ? 'server' : 'client'} sent afterwards cannot be delivered`;
    } else if (me.finSeq >= 0 && peer.finSeq >= 0) {
      s = `${who} sends RST after both sides' FINs: the connection was closing and the RST ends it at once`;
    } else {
      s = `${who} resets the connection (RST): it ends at once, without the FIN teardown, and data not yet delivered is discarded`;
    }
    // RFC 9293 §3.5.3 lets a RST carry data, which some stacks use for a diagnostic text.
    if (d.payloadLen > 0) {
      const text = payloadPreview(d);
      s += `; the RST carries ${bytes(d.payloadLen)}${text ? ` (${text})` : ''}, which some stacks use to say why`;
    }
    return s;
  }

  private dataSentence(d: Dissection, who: string, other: string, me: SideState, peer: SideState, mentionAck: boolean): string {
    const t = d.tcp;
    const len = d.payloadLen;
    const end = (t.relSeq + len) >>> 0;
    const af = t.flags;
    const retransmitFlags = AF.Retransmission | AF.FastRetransmission | AF.SpuriousRetransmission;
    let s: string;
    if ((af & retransmitFlags) || (this.derive && me.sent && !seqAfter(end, me.maxNxt))) {
      const spurious = (af & AF.SpuriousRetransmission) || (this.derive && peer.ackedUpTo >= 0 && !seqAfter(end, peer.ackedUpTo));
      const kind = af & AF.FastRetransmission ? 'fast retransmission' : spurious ? 'spurious retransmission' : 'retransmission';
      const first = me.firstFrameWith(t.relSeq);
      s = `${who} sends ${bytes(len)} again (${kind})`;
      if (first > 0) s += `: Seq=${t.relSeq} was first sent in frame ${first}`;
      if (kind === 'fast retransmission') s += ', and duplicate ACKs reported it missing';
      else if (spurious) s += `, though the ${other} had already acknowledged it`;
      else s += ', because no acknowledgement for it arrived in time';
      // tshark's RTO: how long the sender waited, from the oldest segment still unacknowledged.
      if (kind === 'retransmission' && t.rtoFrame > 0) s += ` (the retransmission timeout: ${duration(t.rto)} after frame ${t.rtoFrame})`;
      return s;
    }
    if (af & AF.OutOfOrder) {
      return `${who} sends ${bytes(len)} out of order: Seq=${t.relSeq} lies before data it has already sent`;
    }
    const app = appDescription(d);
    if (app === REASSEMBLED_PDU) {
      s = `${who} sends ${bytes(len)} of a record that continues over several segments; it is read once they are reassembled`;
    } else if (app !== null) {
      s = app;
    } else {
      const text = payloadPreview(d);
      s = `${who} ${d.tcpFlags & TH_PSH ? 'pushes' : 'sends'} ${bytes(len)} of data${text ? ` (${text})` : ''}`;
      if (d.tcpFlags & TH_PSH) s += '; PSH asks the receiver to pass it to the application';
    }
    const acksPeerFin = (d.tcpFlags & TH_ACK) !== 0 && peer.finSeq >= 0 && peer.finAckedFrame === 0 && !seqAfter(peer.finSeq + 1, t.relAck);
    if (mentionAck && acksPeerFin) s += `; ACK=${t.relAck} also acknowledges the ${other}'s FIN`;
    else if (mentionAck && (d.tcpFlags & TH_ACK) && me.ackedUpTo >= 0 && seqAfter(t.relAck, me.ackedUpTo)) s += `; ACK=${t.relAck} also confirms the ${other}'s data`;
    if (peer.finSeq >= 0 && me.finSeq < 0 && !me.halfCloseNoted) {
      me.halfCloseNoted = true;
      s += `; after the ${other}'s FIN this direction is still open (TCP half-close)`;
    }
    return s;
  }

  private finSentence(d: Dissection, who: string, other: string, me: SideState, peer: SideState): string {
    const t = d.tcp;
    const len = d.payloadLen;
    const finSeq = (t.relSeq + len) >>> 0;
    const acksPeerFin = (d.tcpFlags & TH_ACK) !== 0 && peer.finSeq >= 0 && peer.finAckedFrame === 0 && !seqAfter(peer.finSeq + 1, t.relAck);
    if (me.finSeq >= 0 && finSeq === me.finSeq) {
      let s = `${who} sends its FIN again (retransmission): the ${other} has not acknowledged it yet`;
      if (acksPeerFin) s += `; ACK=${t.relAck} now acknowledges the ${other}'s FIN`;
      return s;
    }
    const text = len > 0 ? payloadPreview(d) : '';
    const withData = len > 0 ? ` its last ${bytes(len)} of data${text ? ` (${text})` : ''} with` : '';
    this.teardownSegments++;
    if (peer.finSeq < 0) {
      let s = `${who} sends${withData} FIN: it has no more data`;
      if (!peer.sent) s += `; nothing from the ${other} was captured`;
      else if (d.tcpFlags & TH_ACK) {
        if (t.relAck === peer.maxNxt) s += `; ACK=${t.relAck} confirms everything received`;
        else if (seqAfter(peer.maxNxt, t.relAck)) s += `; ACK=${t.relAck} confirms the ${other}'s bytes before ${t.relAck}, ${bytes((peer.maxNxt - t.relAck) >>> 0)} are not acknowledged yet`;
        else s += `; ACK=${t.relAck}`;
      }
      return s;
    }
    const ackCoversPeerFin = !seqAfter(peer.finSeq + 1, t.relAck);
    if (peer.finAckedFrame > 0) {
      return `${who} sends${withData} its own FIN: it has no more data either; Seq=${t.relSeq} continues its sequence and ACK=${t.relAck} still confirms the ${other}'s FIN`;
    }
    if (ackCoversPeerFin) {
      return `${who} acknowledges the ${other}'s FIN (ACK=${t.relAck}) and sends${withData} its own FIN in the same segment: it has no more data either`;
    }
    return `${who} sends${withData} its own FIN while the ${other}'s FIN is still unacknowledged: both sides close at once (simultaneous close)`;
  }

  private ackSentence(d: Dissection, who: string, other: string, me: SideState, peer: SideState): string {
    const t = d.tcp;
    const af = t.flags;
    const win = windowOf(d);
    if (this.isKeepAlive(d, me)) {
      this.lastWasKeepAlive = true;
      return `${who} sends a keep-alive: Seq=${t.relSeq} is one below its next byte, asking the ${other} to confirm the connection is still there`;
    }
    if ((af & AF.KeepAliveAck) || (this.derive && peer.sentKeepAlive && t.relAck === peer.maxNxt)) {
      peer.sentKeepAlive = false;
      return `${who} answers the keep-alive: ACK=${t.relAck} shows the connection is still there`;
    }
    // Wireshark's duplicate ACK: nothing but the same acknowledgement, window and next sequence number again.
    const duplicate = (af & AF.DuplicateAck) !== 0 || (this.derive &&
      me.ackedUpTo >= 0 && t.relAck === me.ackedUpTo && win !== 0 && win === me.lastWindow && t.relSeq === me.maxNxt && d.payloadLen === 0);
    if (duplicate) {
      me.dupAcks = t.duplicateAckNum > 0 ? t.duplicateAckNum : me.dupAcks + 1;
      const of = t.dupAckOf > 0 ? t.dupAckOf : me.lastAckFrame;
      const outstanding = peer.sent && seqAfter(peer.maxNxt, t.relAck);
      return `${who} sends the same ACK=${t.relAck} again (duplicate ACK #${me.dupAcks}${of > 0 ? ` of frame ${of}` : ''})` +
        (outstanding ? `: what the ${other} sent from Seq=${t.relAck} on has not arrived in order, so a segment was probably lost or reordered` : '; nothing new has arrived to acknowledge');
    }
    if ((af & AF.ZeroWindow) || (this.derive && win === 0)) return `${who}'s receive buffer is full: Win=0 tells the ${other} to stop sending for now`;
    if (af & AF.ZeroWindowProbeAck) return `${who} answers the zero-window probe: its window is still closed`;
    if (peer.finSeq >= 0 && peer.finAckedFrame === 0 && !seqAfter(peer.finSeq + 1, t.relAck)) {
      this.teardownSegments++;
      if (me.finSeq < 0) {
        if (this.teardownSegments === 2) this.firstFinAckedAlone = true;
        return `${who} acknowledges the ${other}'s FIN: ACK=${t.relAck} confirms it (a FIN counts as one sequence number)`;
      }
      if (this.derive ? me.finAckedFrame > 0 : (t.state & TcpState.Closed) !== 0) {
        const fourWay = (this.derive ? this.teardownSegments : t.teardownStep) === 4 && this.firstFinAckedAlone;
        return `Final ACK completes the ${fourWay ? 'four-way teardown' : 'teardown'}: the ${who.toLowerCase()} confirms the ${other}'s FIN (ACK=${t.relAck}); the connection is closed`;
      }
      return `${who} acknowledges the ${other}'s FIN (ACK=${t.relAck}) while its own FIN is still unacknowledged: the FINs crossed (simultaneous close)`;
    }
    if ((d.tcpFlags & TH_ACK) && me.ackedUpTo >= 0 && seqAfter(t.relAck, me.ackedUpTo)) {
      const n = (t.relAck - me.ackedUpTo) >>> 0;
      return `${who} acknowledges ${bytes(n)} of data: ACK=${t.relAck} is the next byte it expects from the ${other}`;
    }
    if ((d.tcpFlags & TH_ACK) && me.ackedUpTo < 0) {
      return `${who} acknowledges the ${other}'s data up to ACK=${t.relAck}`;
    }
    if ((af & AF.WindowUpdate) || (this.derive && me.lastWindow >= 0 && win !== me.lastWindow)) {
      return `${who} changes its receive window to ${win} bytes (window update); nothing new to acknowledge`;
    }
    return `${who} repeats ACK=${t.relAck}: nothing new to acknowledge`;
  }
}

const ICMP4_DEST_UNREACHABLE = 3;
const ICMP4_TIME_EXCEEDED = 11;
const ICMP4_FRAG_NEEDED = 4; // code of Destination Unreachable, RFC 1191 §4
const ICMP6_DEST_UNREACHABLE = 1;
const ICMP6_PACKET_TOO_BIG = 2;
const ICMP6_TIME_EXCEEDED = 3;
const ICMP4_UNREACHABLE_CODES: Readonly<Record<number, string>> = {
  0: 'network unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable', 13: 'communication administratively prohibited',
};

function icmpShortName(d: Dissection): string {
  const v6 = d.hasLayer(Proto.Icmpv6);
  const type = d.buf[d.icmpOff], code = d.buf[d.icmpOff + 1];
  if (!v6 && type === ICMP4_DEST_UNREACHABLE && code === ICMP4_FRAG_NEEDED) return 'Fragmentation needed';
  if (v6 && type === ICMP6_PACKET_TOO_BIG) return 'Packet too big';
  if ((!v6 && type === ICMP4_DEST_UNREACHABLE) || (v6 && type === ICMP6_DEST_UNREACHABLE)) return 'Destination unreachable';
  if ((!v6 && type === ICMP4_TIME_EXCEEDED) || (v6 && type === ICMP6_TIME_EXCEEDED)) return 'Time exceeded';
  return `${v6 ? 'ICMPv6' : 'ICMP'} type ${type}`;
}

/** What an ICMP error quoting one of the stream's segments says about it. */
function icmpSentence(d: Dissection, sender: string): string {
  const v6 = d.hasLayer(Proto.Icmpv6);
  const off = d.icmpOff;
  const type = d.buf[off], code = d.buf[off + 1];
  const what = `the ${sender}'s ${bytes(d.payloadLen)} segment (Seq=${d.seqRaw}, raw: a quoted header is not counted in the connection)`;
  if ((!v6 && type === ICMP4_DEST_UNREACHABLE && code === ICMP4_FRAG_NEEDED) || (v6 && type === ICMP6_PACKET_TOO_BIG)) {
    // RFC 1191 §4: next-hop MTU in bytes 6-7; RFC 4443 §3.2: MTU in bytes 4-7.
    const mtu = v6 ? (off + 8 <= d.frameEnd ? d.buf.readUInt32BE(off + 4) : 0) : (off + 8 <= d.frameEnd ? d.buf.readUInt16BE(off + 6) : 0);
    return `A router reports ${what} too big for the path${mtu ? ` (next-hop MTU ${mtu})` : ''}; the ${sender} must send smaller segments (path MTU discovery)`;
  }
  if (!v6 && type === ICMP4_DEST_UNREACHABLE) return `An ICMP error reports ${what} undeliverable: ${ICMP4_UNREACHABLE_CODES[code] ?? `code ${code}`}`;
  if (v6 && type === ICMP6_DEST_UNREACHABLE) return `An ICMPv6 error reports ${what} undeliverable (code ${code})`;
  if ((!v6 && type === ICMP4_TIME_EXCEEDED) || (v6 && type === ICMP6_TIME_EXCEEDED)) return `A router dropped ${what}: its hop limit ran out (time exceeded)`;
  return `An ${v6 ? 'ICMPv6' : 'ICMP'} error of type ${type} quotes ${what}`;
}

function windowOf(d: Dissection): number {
  return d.tcp.windowSize >= 0 ? d.tcp.windowSize : d.window;
}


// ---- the ladder ----

const ARROW_MIN = 34;

function arrowLabel(r: ExplainRow): string {
  if (r.label !== undefined) return r.label;
  return `[${r.flags}] Seq=${r.seq}${r.hasAck ? ` Ack=${r.ack}` : ''} Len=${r.len}`;
}

/** The arrow between the two columns, `width` characters, pointing from the sender to the receiver. */
export function arrowText(r: ExplainRow, width: number): string {
  const label = arrowLabel(r);
  const fill = '─'.repeat(Math.max(1, width - label.length - 5));
  return r.fromClient ? `── ${label} ${fill}▶` : `◀${fill} ${label} ──`;
}

/** Width an arrow needs so that every label of the stream fits. */
export function arrowWidth(rows: readonly ExplainRow[]): number {
  let w = ARROW_MIN;
  for (const r of rows) w = Math.max(w, arrowLabel(r).length + 6);
  return w;
}

/** The stream's heading: endpoints, how the roles were recognised, packet count. */
export function ladderHeading(x: StreamExplainer): string {
  const n = x.rows.length;
  let s = `TCP stream ${x.stream}: client ${x.clientEndpoint} ⇄ server ${x.serverEndpoint}, ${n} packet${n === 1 ? '' : 's'}`;
  if (x.rolesFrom === 'syn-ack') s += ' (the client\'s SYN was not captured; roles from the SYN/ACK)';
  else if (x.rolesFrom === 'ports') s += ' (no handshake captured: the side on the lower port is taken to be the server)';
  return s;
}

/** The whole ladder as text lines: heading, column titles, one line per packet with its sentence. */
export function ladderLines(x: StreamExplainer): string[] {
  if (x.points.length === 2) return laneLines(x);
  const width = arrowWidth(x.rows);
  const timeWidth = Math.max(10, ...x.rows.map((r) => r.time.length));
  const lead = `${'No.'.padStart(6)}  ${'Time'.padStart(timeWidth)}  `;
  const titles = `${lead}${('client').padEnd(width + 2 - 'server'.length)}server`;
  const lines = [ladderHeading(x), titles];
  for (const r of x.rows) {
    lines.push(`${String(r.number).padStart(6)}  ${r.time.padStart(timeWidth)}  |${arrowText(r, width)}|  ${r.sentence}`);
  }
  return lines;
}

/**
 * The lane whose copies come first in each direction (client's, server's): where most transmissions
 * seen at both points were seen earlier, as -z pairs decides.
 */
function upstreamLanes(x: StreamExplainer): [number, number] {
  const first = [[0, 0], [0, 0]];
  for (const r of x.rows) {
    const at = r.at;
    if (at === undefined || Number.isNaN(at[0]) || Number.isNaN(at[1])) continue;
    first[r.fromClient ? 0 : 1][at[0] <= at[1] ? 0 : 1]++;
  }
  return [first[0][1] > first[0][0] ? 1 : 0, first[1][0] > first[1][1] ? 0 : 1];
}

/**
 * A stream seen at two capture points: one row per transmission, a lane per point with the time it
 * passed there (or why it did not: lost between the points, or missed by the upstream capture), and
 * the one-way delay from the upstream point to the other; above them, each direction's totals.
 */
function laneLines(x: StreamExplainer): string[] {
  const width = arrowWidth(x.rows);
  const digits = x.timeDigits;
  const up = upstreamLanes(x);
  const cell = (r: ExplainRow, lane: number): string => {
    const v = r.at![lane];
    if (!Number.isNaN(v)) return (v / 1e9).toFixed(digits);
    return up[r.fromClient ? 0 : 1] === lane ? 'missed' : 'lost';
  };
  const delayOf = (r: ExplainRow): number => {
    const u = up[r.fromClient ? 0 : 1];
    return (r.at![1 - u] - r.at![u]) / 1e6;
  };
  const laneWidth = Math.max(10, 2 + digits + String(Math.floor(Math.max(0, ...x.rows.map((r) => Math.max(r.at?.[0] || 0, r.at?.[1] || 0))) / 1e9)).length);
  // Where each retransmission was caused, in each direction's upstream order: what -z pairs says
  // (before the sentence, which a terminal's width often cuts).
  const causes = new Map<ExplainRow, string>();
  const counts = [[0, 0], [0, 0]];
  for (const fromClient of [true, false]) {
    const u = up[fromClient ? 0 : 1];
    const order = x.rows.filter((r) => r.fromClient === fromClient && r.at !== undefined && !Number.isNaN(r.at[u])).sort((a, b) => a.at![u] - b.at![u]);
    const tx = order.map((r) => ({ seq: r.seq, len: r.len, flags: r.tcpFlags, arrived: !Number.isNaN(r.at![1 - u]) }));
    for (const f of findRetransmissions(tx)) {
      const repeated = (arrived: boolean): string => f.repeats.filter((j) => tx[j].arrived === arrived).map((j) => order[j].number).join(', ');
      let text: string;
      if (f.cause === RetransmissionCause.LostBetween) {
        text = `retransmission caused between the points: No. ${repeated(false)} was lost there`;
        counts[fromClient ? 0 : 1][0]++;
      } else if (f.cause === RetransmissionCause.Spurious) {
        text = `spurious retransmission: No. ${repeated(true)} had reached point ${1 - u}`;
        counts[fromClient ? 0 : 1][1]++;
      } else {
        text = 'retransmission of data not seen at the upstream point';
      }
      causes.set(order[f.index], text);
    }
  }
  const lines = [ladderHeading(x).replace(/, \d+ packets?/, `, ${x.rows.length} transmission${x.rows.length === 1 ? '' : 's'}`)];
  // A pcapng's if_name is the file writer's text: sanitized as packet text is.
  const pointName = (id: number): string => sanitizeText(interfaceName(id) ?? `interface ${id}`);
  lines.push(`seen at two capture points: point 0 = ${pointName(x.points[0])}, point 1 = ${pointName(x.points[1])}`);
  for (const fromClient of [true, false]) {
    const rows = x.rows.filter((r) => r.fromClient === fromClient && r.at !== undefined);
    const u = up[fromClient ? 0 : 1];
    const paired = rows.filter((r) => !Number.isNaN(r.at![0]) && !Number.isNaN(r.at![1]));
    const lost = rows.filter((r) => Number.isNaN(r.at![1 - u])).length;
    const delays = paired.map(delayOf).sort((a, b) => a - b);
    const median = delays.length > 0 ? delays[Math.ceil(delays.length / 2) - 1].toFixed(3) : '-';
    lines.push(`  ${fromClient ? 'client → server' : 'server → client'}: upstream point ${u}, ${paired.length} seen at both, ${lost} lost between the points, ` +
      `${rows.length - paired.length - lost} missed upstream, one-way delay median ${median} ms, ` +
      `retransmissions caused between the points ${counts[fromClient ? 0 : 1][0]}, spurious ${counts[fromClient ? 0 : 1][1]}`);
  }
  const lead = `${'No.'.padStart(6)}  ${'point 0'.padStart(laneWidth)}  ${'point 1'.padStart(laneWidth)}  ${'delay ms'.padStart(9)}  `;
  lines.push(`${lead}${('client').padEnd(width + 2 - 'server'.length)}server`);
  for (const r of x.rows) {
    if (r.at === undefined) {
      // not a segment of the connection (an ICMP error about one): no lanes
      lines.push(`${String(r.number).padStart(6)}  ${r.time.padStart(laneWidth)}  ${''.padStart(laneWidth)}  ${''.padStart(9)}  |${arrowText(r, width)}|  ${r.sentence}`);
      continue;
    }
    const delay = delayOf(r);
    const cause = causes.get(r);
    lines.push(`${String(r.number).padStart(6)}  ${cell(r, 0).padStart(laneWidth)}  ${cell(r, 1).padStart(laneWidth)}  ${(Number.isNaN(delay) ? '' : delay.toFixed(3)).padStart(9)}  |${arrowText(r, width)}|  ${cause === undefined ? '' : `[${cause}] `}${r.sentence}`);
  }
  return lines;
}

// ---- headless --explain ----

/** `--explain` without a stream explains every stream; a bound keeps a huge capture from filling memory. */
const MAX_EXPLAINED_PACKETS = 200_000;

/** Parse the value of a per-stream option (--explain, --compare): true (every stream) or a tcp.stream number. */
export function parseStreamOption(option: string, v: string | boolean | undefined): number | null {
  if (v === undefined || v === true || v === false) return null;
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid stream "${v}" for ${option}: expected a tcp.stream number such as 0`);
  return Number(v);
}

/** What --explain or --compare say when they found nothing to show: no such stream, or no TCP at all. */
export function nothingToShow(what: 'explain' | 'compare', only: number | null, highestStream: number): UsageError {
  if (only === null) return new UsageError(`nothing to ${what}: the capture holds no TCP packets`);
  return new UsageError(highestStream < 0
    ? `no TCP stream ${only}: the capture holds no TCP streams`
    : `no TCP stream ${only}: the capture holds streams 0 to ${highestStream}`);
}

export class ExplainSink implements Sink {
  private readonly streams = new Map<number, StreamExplainer>();
  private highestStream = -1;
  private packets = 0;
  private skipped = 0;

  constructor(private readonly out: OutputBuffer, private readonly only: number | null, private readonly timeDigits: () => number = () => 6) {}

  frame(d: Dissection): void {
    const stream = d.tcp.stream;
    if (d.tcpOff < 0 || stream < 0) return;
    if (stream > this.highestStream) this.highestStream = stream;
    if (this.only !== null && stream !== this.only) return;
    if (this.packets >= MAX_EXPLAINED_PACKETS) {
      this.skipped++;
      return;
    }
    let x = this.streams.get(stream);
    if (x === undefined) {
      x = new StreamExplainer(stream, this.timeDigits());
      this.streams.set(stream, x);
    }
    x.add(d);
    this.packets++;
  }

  end(): void {
    const ordered = [...this.streams.values()].sort((a, b) => a.stream - b.stream);
    let first = true;
    for (const x of ordered) {
      if (!first) this.out.write('\n');
      first = false;
      for (const line of ladderLines(x)) this.out.write(line + '\n');
    }
    if (this.skipped > 0) this.out.write(`\n(${this.skipped} more TCP packets not explained: --explain keeps at most ${MAX_EXPLAINED_PACKETS}; pick one stream with --explain N)\n`);
    this.out.flush();
    if (ordered.length === 0) throw nothingToShow('explain', this.only, this.highestStream);
  }
}
