// Conversations and endpoints (tshark's -z conv,TYPE and -z endpoints,TYPE), built while a capture
// is read: one row per conversation or endpoint, never a list of packets, so memory grows with the
// number of talkers and is capped (MAX_ROWS) however long the capture is.

import { Dissection, Proto } from '../../decode/dissection';
import { macAt, ipv4At, ipv6At } from '../../fields/format';

export type AddressKind = 'eth' | 'ip' | 'ipv6' | 'tcp' | 'udp';
export const ADDRESS_KINDS: readonly AddressKind[] = ['eth', 'ip', 'ipv6', 'tcp', 'udp'];

/** Title words tshark gives each table ("IPv4 Conversations"). */
export const KIND_TITLES: Record<AddressKind, string> = { eth: 'Ethernet', ip: 'IPv4', ipv6: 'IPv6', tcp: 'TCP', udp: 'UDP' };

/** Rows kept per table; past it new talkers are counted in `dropped` instead of growing the table. */
export const MAX_ROWS = 1_000_000;

/** One party of a packet as the tables see it: an address text and, for TCP and UDP, a port. */
export interface Party {
  addr: string;
  port: number;
}

/**
 * The (source, destination) pairs a packet gives a table of this kind, with the conversation id
 * (tcp.stream for TCP, -1 otherwise). Ethernet and IP give one pair per header, as tshark taps
 * each header; TCP and UDP the pair of the header that carried them. Returns how many pairs.
 */
export function partiesOf(kind: AddressKind, d: Dissection, out: Party[]): number {
  let n = 0;
  const put = (addrA: string, portA: number, addrB: string, portB: number): void => {
    if (n + 2 > out.length) return;
    out[n].addr = addrA; out[n].port = portA;
    out[n + 1].addr = addrB; out[n + 1].port = portB;
    n += 2;
  };
  const end = d.frameOff + d.capLen;
  const want = kind === 'eth' ? Proto.Eth : kind === 'ip' ? Proto.IPv4 : kind === 'ipv6' ? Proto.IPv6 : kind === 'tcp' ? Proto.Tcp : Proto.Udp;
  let net = -1;
  for (let i = 0; i < d.stackLen; i++) {
    const p = d.stack[i], off = d.stackOff[i];
    // a packet quoted by an ICMP error is not traffic of its own: tshark's tables leave it out
    if (p === Proto.Icmp || p === Proto.Icmpv6) break;
    if (p === Proto.IPv4 || p === Proto.IPv6) net = i;
    if (p !== want || off < 0) continue;
    if (kind === 'eth') {
      if (off + 12 <= end) put(macAt(d.buf, off + 6), 0, macAt(d.buf, off), 0);
    } else if (kind === 'ip') {
      if (off + 20 <= end) put(ipv4At(d.buf, off + 12), 0, ipv4At(d.buf, off + 16), 0);
    } else if (kind === 'ipv6') {
      if (off + 40 <= end) put(ipv6At(d.buf, off + 8), 0, ipv6At(d.buf, off + 24), 0);
    } else {
      // TCP and UDP: the ports of this header, the addresses of the IP header that carried it
      if (net < 0 || off + 4 > end) continue;
      const sp = d.buf.readUInt16BE(off), dp = d.buf.readUInt16BE(off + 2);
      const ipOff = d.stackOff[net];
      if (d.stack[net] === Proto.IPv4) put(ipv4At(d.buf, ipOff + 12), sp, ipv4At(d.buf, ipOff + 16), dp);
      else put(ipv6At(d.buf, ipOff + 8), sp, ipv6At(d.buf, ipOff + 24), dp);
      // TCP stream numbers name the first TCP header's connection only
      if (kind === 'tcp') break;
    }
  }
  return n;
}

export class ConversationRow {
  /** A→B frames and bytes (tshark's "->"), and B→A ("<-"). */
  txFrames = 0;
  txBytes = 0;
  rxFrames = 0;
  rxBytes = 0;
  /** Seconds since the first packet of the capture, of the first and the last packet. */
  start = 0;
  stop = 0;
  /** Absolute time of the first packet, for -t a/ad/u/ud. */
  startSec = 0;
  startNsec = 0;
  constructor(readonly a: Party, readonly b: Party) {}
}

export class EndpointRow {
  txFrames = 0;
  txBytes = 0;
  rxFrames = 0;
  rxBytes = 0;
  constructor(readonly party: Party) {}
}

function relSeconds(d: Dissection): number {
  return (d.tsSec - d.firstTsSec) + (d.tsNsec - d.firstTsNsec) / 1e9;
}

const scratch = (): Party[] => Array.from({ length: 16 }, () => ({ addr: '', port: 0 }));

/** -z conv,KIND: rows in the order their first packet came, A being that packet's source. */
export class ConversationTable {
  readonly rows: ConversationRow[] = [];
  dropped = 0;
  private readonly index = new Map<string, ConversationRow>();
  private readonly parties = scratch();

  constructor(readonly kind: AddressKind) {}

  add(d: Dissection): void {
    const n = partiesOf(this.kind, d, this.parties);
    const ports = this.kind === 'tcp' || this.kind === 'udp';
    for (let i = 0; i < n; i += 2) {
      const src = this.parties[i], dst = this.parties[i + 1];
      // TCP conversations are streams (a reused port pair after a close is a new one), as in tshark
      const id = this.kind === 'tcp' ? `${d.tcp.stream}|` : '';
      const fwd = ports ? `${id}${src.addr}|${src.port}|${dst.addr}|${dst.port}` : `${src.addr}|${dst.addr}`;
      let row = this.index.get(fwd);
      let forward = true;
      if (row === undefined) {
        const rev = ports ? `${id}${dst.addr}|${dst.port}|${src.addr}|${src.port}` : `${dst.addr}|${src.addr}`;
        row = this.index.get(rev);
        forward = false;
        if (row === undefined) {
          if (this.rows.length >= MAX_ROWS) { this.dropped++; continue; }
          row = new ConversationRow({ addr: src.addr, port: src.port }, { addr: dst.addr, port: dst.port });
          row.start = row.stop = relSeconds(d);
          row.startSec = d.tsSec;
          row.startNsec = d.tsNsec;
          this.index.set(fwd, row);
          this.rows.push(row);
          forward = true;
        }
      }
      // A packet between one address and itself counts as A→B, as tshark's first match does
      if (!forward && src.addr === row.a.addr && src.port === row.a.port) forward = true;
      const t = relSeconds(d);
      if (t > row.stop) row.stop = t;
      else if (t < row.start) {
        row.start = t;
        row.startSec = d.tsSec;
        row.startNsec = d.tsNsec;
      }
      if (forward) { row.txFrames++; row.txBytes += d.origLen; } else { row.rxFrames++; row.rxBytes += d.origLen; }
    }
  }

  /** Most frames first; equal ones in the order they began. */
  sorted(): ConversationRow[] {
    return this.rows.map((r, i) => [r, i] as const)
      .sort((x, y) => (y[0].txFrames + y[0].rxFrames) - (x[0].txFrames + x[0].rxFrames) || x[1] - y[1])
      .map((x) => x[0]);
  }
}

/** -z endpoints,KIND: each address (and port) with what it sent and received. */
export class EndpointTable {
  readonly rows: EndpointRow[] = [];
  dropped = 0;
  private readonly index = new Map<string, EndpointRow>();
  private readonly parties = scratch();

  constructor(readonly kind: AddressKind) {}

  add(d: Dissection): void {
    const n = partiesOf(this.kind, d, this.parties);
    for (let i = 0; i < n; i++) {
      const p = this.parties[i];
      const key = `${p.addr}|${p.port}`;
      let row = this.index.get(key);
      if (row === undefined) {
        if (this.rows.length >= MAX_ROWS) { this.dropped++; continue; }
        row = new EndpointRow({ addr: p.addr, port: p.port });
        this.index.set(key, row);
        this.rows.push(row);
      }
      if ((i & 1) === 0) { row.txFrames++; row.txBytes += d.origLen; } else { row.rxFrames++; row.rxBytes += d.origLen; }
    }
  }

  sorted(): EndpointRow[] {
    return this.rows.map((r, i) => [r, i] as const)
      .sort((x, y) => (y[0].txFrames + y[0].rxFrames) - (x[0].txFrames + x[0].rxFrames) || x[1] - y[1])
      .map((x) => x[0]);
  }
}
