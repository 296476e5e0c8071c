// Capture statistics from the index columns in one pass: packets and bytes over time, the protocol
// and TCP-flag mix, top talkers, and the TLS versions and server names the handshakes showed.

import { PROTO_LABELS } from '../decode/protocol-registry';
import { TH_SYN, TH_ACK, TH_FIN, TH_RST, TH_PSH } from '../decode/tcp';
import { Proto } from '../decode/dissection';
import { PacketIndex } from './packet-index';
import type { PacketList } from './conversations';
import { CHUNK_BITS, CHUNK_MASK, APP_NOT_STORED } from './columns';

export interface Count {
  name: string;
  packets: number;
  bytes: number;
}

export interface CaptureStats {
  packets: number;
  bytes: number;
  /** Seconds from first to last packet. */
  duration: number;
  /** Width of one bucket of the rate series, in seconds. */
  bucketSeconds: number;
  /** Packets and bytes per second in each bucket. */
  packetsPerSecond: number[];
  bytesPerSecond: number[];
  protocols: Count[];
  tcpFlags: Count[];
  talkers: Count[];
  tlsVersions: Count[];
  serverNames: Count[];
}

const TARGET_BUCKETS = 60;

/** A round bucket width (1, 2 or 5 times a power of ten seconds, 1 ms at least) giving about 60 buckets. */
export function bucketFor(duration: number): number {
  const raw = Math.max(0.001, duration / TARGET_BUCKETS);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return Number((m * p).toPrecision(6));
  return raw;
}

const TRANSPORT_NAMES: Record<number, string> = {
  [Proto.Tcp]: 'TCP', [Proto.Udp]: 'UDP', [Proto.Icmp]: 'ICMP', [Proto.Icmpv6]: 'ICMPv6', [Proto.Arp]: 'ARP',
  [Proto.Gre]: 'GRE', [Proto.IPv4]: 'IPv4', [Proto.IPv6]: 'IPv6', [Proto.Eth]: 'Ethernet', [Proto.Vlan]: 'VLAN',
  [Proto.Tls]: 'TLS',
};

function sorted(m: Map<string, Count>, limit: number): Count[] {
  return [...m.values()].sort((a, b) => b.packets - a.packets || a.name.localeCompare(b.name)).slice(0, limit);
}

function add(m: Map<string, Count>, name: string, bytes: number): void {
  let c = m.get(name);
  if (c === undefined) {
    c = { name, packets: 0, bytes: 0 };
    m.set(name, c);
  }
  c.packets++;
  c.bytes += bytes;
}

/** Statistics of the first `upTo` packets, or of the packets of `only` (what the display filter shows). */
export function captureStats(ix: PacketIndex, upTo = ix.count, only: PacketList | null = null): CaptureStats {
  const n = only !== null ? only.length : upTo;
  const at = (k: number): number => (only !== null ? only.get(k) : k);
  const first = n > 0 ? ix.time(at(0)) : 0;
  const last = n > 0 ? ix.time(at(n - 1)) : 0;
  const duration = Math.max(0, last - first);
  const bucketSeconds = bucketFor(duration);
  const buckets = Math.max(1, Math.floor(duration / bucketSeconds) + 1);
  const pk = new Float64Array(buckets), by = new Float64Array(buckets);
  const appCounts = new Float64Array(ix.apps.length + 1), appBytes = new Float64Array(ix.apps.length + 1);
  const protoCounts = new Float64Array(256), protoBytes = new Float64Array(256);
  const talkerPk = new Map<number, number>(), talkerBy = new Map<number, number>();
  const streams = only !== null ? new Set<number>() : null;
  let syn = 0, synAck = 0, fin = 0, rst = 0, psh = 0, ackOnly = 0, tcpOther = 0;
  let bytes = 0;
  for (let k = 0; k < n; k++) {
    const i = at(k);
    const c = ix.chunks[i >>> CHUNK_BITS], j = i & CHUNK_MASK;
    if (streams !== null && c.stream[j] >= 0) streams.add(c.stream[j]);
    const len = c.origLen[j];
    bytes += len;
    const t = c.tsSec[j] + c.tsNsec[j] / 1e9 - first;
    const b = Math.min(buckets - 1, Math.max(0, Math.floor(t / bucketSeconds)));
    pk[b]++;
    by[b] += len;
    const app = c.app[j];
    if (app !== 0 && app !== APP_NOT_STORED && app < appCounts.length) {
      appCounts[app]++;
      appBytes[app] += len;
    } else {
      protoCounts[c.proto[j]]++;
      protoBytes[c.proto[j]] += len;
    }
    const src = c.src[j];
    if (src !== 0) {
      talkerPk.set(src, (talkerPk.get(src) ?? 0) + 1);
      talkerBy.set(src, (talkerBy.get(src) ?? 0) + len);
    }
    if (c.proto[j] === Proto.Tcp || c.stream[j] >= 0) {
      const f = c.tcpFlags[j];
      if (f & TH_RST) rst++;
      else if ((f & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) synAck++;
      else if (f & TH_SYN) syn++;
      else if (f & TH_FIN) fin++;
      else if (f & TH_PSH) psh++;
      else if (f === TH_ACK) ackOnly++;
      else tcpOther++;
    }
  }
  const protocols = new Map<string, Count>();
  const merge = (name: string, p: number, b: number): void => {
    if (p === 0) return;
    const c = protocols.get(name) ?? { name, packets: 0, bytes: 0 };
    c.packets += p;
    c.bytes += b;
    protocols.set(name, c);
  };
  for (let a = 1; a < ix.apps.length; a++) merge(ix.apps[a].protocol, appCounts[a], appBytes[a]);
  for (let p = 0; p < 256; p++) merge(TRANSPORT_NAMES[p] ?? (p === 0 ? 'other' : PROTO_LABELS[p] ?? `proto ${p}`), protoCounts[p], protoBytes[p]);
  const tcpFlags: Count[] = [
    { name: 'SYN', packets: syn, bytes: 0 }, { name: 'SYN/ACK', packets: synAck, bytes: 0 },
    { name: 'ACK', packets: ackOnly, bytes: 0 }, { name: 'PSH', packets: psh, bytes: 0 },
    { name: 'FIN', packets: fin, bytes: 0 }, { name: 'RST', packets: rst, bytes: 0 },
    { name: 'other', packets: tcpOther, bytes: 0 },
  ];
  const talkers: Count[] = [...talkerPk.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([id, p]) => ({ name: ix.addresses.text(id), packets: p, bytes: talkerBy.get(id) ?? 0 }));
  const versions = new Map<string, Count>(), names = new Map<string, Count>();
  const tls = streams === null ? [...ix.tlsStreams.values()]
    : [...streams].map((st) => ix.tlsStreams.get(st)).filter((x): x is NonNullable<typeof x> => x !== undefined);
  for (const info of tls) {
    if (info.version) add(versions, info.version, 0);
    if (info.sni) add(names, info.sni, 0);
  }
  return {
    packets: n, bytes, duration, bucketSeconds,
    packetsPerSecond: Array.from(pk, (v) => v / bucketSeconds), bytesPerSecond: Array.from(by, (v) => v / bucketSeconds),
    protocols: sorted(protocols, 12), tcpFlags, talkers,
    tlsVersions: sorted(versions, 8), serverNames: sorted(names, 12),
  };
}
