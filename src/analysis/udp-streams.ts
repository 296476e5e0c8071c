// UDP conversations as Wireshark numbers them (udp.stream): each pair of address and port in
// either direction is one conversation, numbered from 0 in the order first seen, with the time
// since its first frame and since its previous one (udp.time_relative, udp.time_delta). An
// analysis stage, since the number depends on the frames before. The table is bounded: past
// MAX_UDP_CONVERSATIONS the one first seen is forgotten (a later frame of it gets a new number).

import { Dissection, Proto } from '../decode/dissection';
import { udpStreamInfos } from './udp-stream-info';
import { IP4_SRC, IP6_SRC } from '../decode/ip';
import { registerStage } from '../hooks';

const MAX_UDP_CONVERSATIONS = 1 << 20;

class Conversation {
  /** The next conversation whose IPv4 endpoints hash alike. */
  nextInBucket: Conversation | null = null;
  constructor(
    readonly index: number,
    /** IPv4: the endpoints as numbers (address * 65536 + port), the lower first; IPv6: -1. */
    readonly lowEndpoint: number, readonly highEndpoint: number,
    /** IPv6: both endpoints in one string; IPv4: ''. */
    readonly textKey: string,
    readonly firstSec: number, readonly firstNsec: number, public lastSec: number, public lastNsec: number,
  ) {}
}

/**
 * The IP header that carries the UDP header: the innermost one before it (a tunnel's inner header;
 * the quoted header of an ICMP error), as Wireshark's addresses for the conversation are. -1 if none.
 */
function carryingIp(d: Dissection): number {
  let k = d.stackLen - 1;
  while (k >= 0 && d.stack[k] !== Proto.Udp) k--;
  for (k--; k >= 0; k--) if (d.stack[k] === Proto.IPv4 || d.stack[k] === Proto.IPv6) return k;
  return -1;
}

/**
 * An IPv6 conversation's key: both endpoints (address and port) in hex, the lower first, so that
 * either direction finds it.
 */
function ipv6ConversationKey(d: Dissection, ip: number, sp: number, dp: number): string {
  const b = d.buf;
  const sa = `${b.toString('hex', ip + IP6_SRC, ip + IP6_SRC + 16)}:${sp}`, da = `${b.toString('hex', ip + IP6_SRC + 16, ip + IP6_SRC + 32)}:${dp}`;
  return sa < da ? `${sa}-${da}` : `${da}-${sa}`;
}

/** A small-integer hash of two IPv4 endpoints (address and port each), the same in either order given. */
function ipv4Bucket(lowAddr: number, lowPort: number, highAddr: number, highPort: number): number {
  const h = Math.imul(lowAddr ^ Math.imul(lowPort + 1, 0x85ebca6b), 0x9e3779b1) ^ Math.imul(highAddr ^ Math.imul(highPort + 7, 0xc2b2ae35), 0x27d4eb2f);
  // Kept within V8's small integers, so that the Map key is never a boxed number.
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

export class UdpStreams {
  // IPv4 conversations, the most common, are found without building a key string: by a hash of
  // their endpoints, collisions chained. IPv6 ones by their key string.
  private readonly ipv4 = new Map<number, Conversation>();
  private readonly ipv6 = new Map<string, Conversation>();
  /**
   * Conversations by index modulo the bound. Only the oldest is ever forgotten, so the ones kept
   * are always the indexes [next - live, next), and the oldest is found here.
   */
  private readonly byIndex: (Conversation | undefined)[] = [];
  private live = 0;
  private next = 0;

  analyze(d: Dissection): void {
    if (d.udpOff < 0) return;
    const ipLayer = carryingIp(d);
    if (ipLayer < 0) return;
    const b = d.buf;
    const ip = d.stackOff[ipLayer];
    const sp = b.readUInt16BE(d.udpOff), dp = b.readUInt16BE(d.udpOff + 2);
    let c: Conversation | undefined;
    let bucket = 0, low = -1, high = -1, textKey = '';
    if (d.stack[ipLayer] === Proto.IPv4) {
      const sa = b.readUInt32BE(ip + IP4_SRC), da = b.readUInt32BE(ip + IP4_SRC + 4);
      // An endpoint as one number: address * 65536 + port stays below 2^48, exact in a double.
      const s = sa * 65536 + sp, t = da * 65536 + dp;
      if (s < t) { low = s; high = t; bucket = ipv4Bucket(sa, sp, da, dp); }
      else { low = t; high = s; bucket = ipv4Bucket(da, dp, sa, sp); }
      c = this.ipv4.get(bucket);
      while (c !== undefined && (c.lowEndpoint !== low || c.highEndpoint !== high)) c = c.nextInBucket ?? undefined;
    } else {
      textKey = ipv6ConversationKey(d, ip, sp, dp);
      c = this.ipv6.get(textKey);
    }
    const u = udpStreamInfos.of(d);
    u.frame = d.number;
    if (c === undefined) {
      // Past the bound, the conversation seen first is forgotten.
      if (this.live >= MAX_UDP_CONVERSATIONS) this.forgetOldest();
      c = new Conversation(this.next++, low, high, textKey, d.tsSec, d.tsNsec, d.tsSec, d.tsNsec);
      this.byIndex[c.index % MAX_UDP_CONVERSATIONS] = c;
      this.live++;
      if (textKey !== '') this.ipv6.set(textKey, c);
      else {
        c.nextInBucket = this.ipv4.get(bucket) ?? null;
        this.ipv4.set(bucket, c);
      }
    }
    u.stream = c.index;
    // A datagram an ICMP error quotes is of its conversation, but does not move its clock.
    if (d.inIcmpError) return;
    u.sinceFirst = ((d.tsSec - c.firstSec) * 1e9 + (d.tsNsec - c.firstNsec)) / 1e9;
    u.sincePrevious = ((d.tsSec - c.lastSec) * 1e9 + (d.tsNsec - c.lastNsec)) / 1e9;
    c.lastSec = d.tsSec;
    c.lastNsec = d.tsNsec;
  }

  private forgetOldest(): void {
    const slot = (this.next - this.live) % MAX_UDP_CONVERSATIONS;
    const old = this.byIndex[slot];
    this.byIndex[slot] = undefined;
    this.live--;
    if (old === undefined) return;
    if (old.textKey !== '') {
      this.ipv6.delete(old.textKey);
      return;
    }
    const bucket = ipv4Bucket(Math.floor(old.lowEndpoint / 65536), old.lowEndpoint % 65536, Math.floor(old.highEndpoint / 65536), old.highEndpoint % 65536);
    let c = this.ipv4.get(bucket) ?? null, before: Conversation | null = null;
    while (c !== null && c !== old) { before = c; c = c.nextInBucket; }
    if (c === null) return;
    if (before !== null) before.nextInBucket = c.nextInBucket;
    else if (c.nextInBucket !== null) this.ipv4.set(bucket, c.nextInBucket);
    else this.ipv4.delete(bucket);
  }
}

registerStage({ name: 'udp-stream', after: [], make: () => new UdpStreams() });
