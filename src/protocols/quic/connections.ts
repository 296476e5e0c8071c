// QUIC connections as tshark 4.0 tracks them in its one pass (packet-quic.c): a connection is made by
// a client's first Initial and known afterwards by the Connection IDs each side chose (the SCIDs of
// the first client Initial and of the first server Initial, Handshake or Retry) and by the client's
// first DCID, from which the Initial keys are derived (RFC 9001 §5.2). A short header carries no
// DCID length, so it is read with the length its connection's IDs have; a UDP conversation that
// once carried QUIC stays QUIC, as Wireshark's conversation dissector keeps it.
//
// The state is bounded: at most MAX_CONNECTIONS connections and MAX_CONVERSATIONS UDP conversations
// are remembered, the oldest forgotten first, and a connection keeps at most MAX_CIDS_PER_SIDE IDs
// per side; a flood of Initials with new DCIDs costs a fixed amount of memory.

import { Dissection } from '../../decode/dissection';
import { initialKeys, Keys } from './initial';
import { MAX_CID_LEN } from './wire';

export const MAX_CONNECTIONS = 4096;
export const MAX_CONVERSATIONS = 8192;
const MAX_CIDS_PER_SIDE = 8;
/** Connections multiplexed on one UDP conversation that a short header is matched against. */
const MAX_CONNS_PER_CONVERSATION = 4;
/** Map entries one connection may hold (its IDs and Initial DCIDs, again after each Retry). */
const MAX_KEYS_PER_CONNECTION = 64;

export class QuicConnection {
  alive = true;
  version = 0;
  /** The server's address and port, to tell the sides apart when no CID says it. */
  serverKey = '';
  /** Connection IDs (hex) each side chose; the first one gives a short header's DCID length. */
  readonly clientCids: string[] = [];
  readonly serverCids: string[] = [];
  /** The DCID (hex) of the client's first Initial; null once a Retry asks for a new one. */
  clientDcidInitial: string | null = null;
  clientInitial: Keys | null = null;
  serverInitial: Keys | null = null;
  /** Largest packet numbers seen, per side and space (Initial, Handshake, application). */
  readonly maxPn = [new Float64Array(3), new Float64Array(3)];
  /** Map keys (side + CID) this connection holds, to forget them with it. */
  readonly keys: string[] = [];
  constructor(readonly number: number) {}
}

export const hexOf = (buf: Buffer, off: number, len: number): string => buf.toString('hex', off, off + len);

/**
 * Whether one of `cids` is a prefix of `raw` (a short header's bytes after the first, of unknown
 * length). A side that chose no ID (or none is known yet) has the empty one, which every packet
 * matches, as tshark's first, zero-length entry does.
 */
function hasPrefixMatch(cids: readonly string[], raw: string): boolean {
  if (cids.length === 0) return true;
  for (const c of cids) if (raw.length >= c.length && raw.startsWith(c)) return true;
  return false;
}

/** A UDP conversation key, the same from either side. */
export function conversationKey(d: Dissection): string {
  const a = endpoint(d, true), b = endpoint(d, false);
  return a < b ? a + '|' + b : b + '|' + a;
}

/** Address and port of one side of the datagram. */
export function endpoint(d: Dissection, source: boolean): string {
  const off = d.netOff;
  const v4 = d.netVersion === 4;
  const a = off + (v4 ? (source ? 12 : 16) : (source ? 8 : 24));
  return d.buf.toString('hex', a, a + (v4 ? 4 : 16)) + ':' + (source ? d.srcPort : d.dstPort);
}

/** Result of a lookup: the connection and which side sent the packet. */
export class Found {
  conn: QuicConnection | null = null;
  fromServer = false;
  /** For a short header: how many of the DCID bytes matched (0 = none). */
  dcidLen = 0;
}

export class QuicConnections {
  /** Connections by the client's CIDs (a packet with that DCID is from the server), and by the server's. */
  private readonly byClientCid = new Map<string, QuicConnection>();
  private readonly byServerCid = new Map<string, QuicConnection>();
  /** Connections by the DCID of the client's first Initial. */
  private readonly byInitialDcid = new Map<string, QuicConnection>();
  /** UDP conversations that carried QUIC, with their connections, newest first. */
  private readonly conversations = new Map<string, QuicConnection[]>();
  private readonly order: QuicConnection[] = [];
  private orderHead = 0;
  /** Bit n set: some connection uses an n-byte CID (tshark's quic_cid_lengths). */
  cidLengths = 0;
  connectionsMade = 0;
  connectionsForgotten = 0;

  get connections(): number {
    return this.order.length - this.orderHead;
  }

  /** UDP conversations remembered as QUIC. */
  get conversationCount(): number {
    return this.conversations.size;
  }

  hasConversations(): boolean {
    return this.conversations.size > 0;
  }

  isQuicConversation(key: string): boolean {
    return this.conversations.has(key);
  }

  /** Remember that the conversation carries QUIC. */
  markConversation(key: string): void {
    if (this.conversations.has(key)) return;
    if (this.conversations.size >= MAX_CONVERSATIONS) {
      for (const k of this.conversations.keys()) {
        this.conversations.delete(k);
        break;
      }
    }
    this.conversations.set(key, []);
  }

  /** The newest live connection on the conversation, with the side `srcKey` is on. */
  private fromConversation(conv: string, srcKey: string, out: Found): QuicConnection | null {
    const list = this.conversations.get(conv);
    if (list === undefined) return null;
    for (const c of list) {
      if (c.alive) {
        out.fromServer = c.serverKey === srcKey;
        return c;
      }
    }
    return null;
  }

  private knownLength(n: number): boolean {
    return n <= MAX_CID_LEN && (this.cidLengths & (1 << n)) !== 0;
  }

  /** tshark's quic_connection_find_dcid: by a non-empty DCID, else by the conversation. */
  private findDcid(dcid: string, conv: string, srcKey: string, out: Found): QuicConnection | null {
    let conn: QuicConnection | null = null;
    let checkSide = false;
    if (dcid.length > 0) {
      if (!this.knownLength(dcid.length / 2)) return null;
      conn = this.byClientCid.get(dcid) ?? null;
      if (conn !== null) {
        out.fromServer = true;
        checkSide = this.byServerCid.has(dcid);
      } else {
        conn = this.byServerCid.get(dcid) ?? null;
        if (conn !== null) out.fromServer = false;
      }
    } else {
      conn = this.fromConversation(conv, srcKey, out);
      checkSide = conn !== null;
    }
    if (conn !== null && !conn.alive) return null;
    if (conn !== null && checkSide) out.fromServer = conn.serverKey === srcKey;
    return conn;
  }

  /** The connection of a long header packet of kind Initial / 0-RTT / other, with DCID `dcid` (hex). */
  findLong(initial: boolean, zeroRtt: boolean, dcid: string, conv: string, srcKey: string, out: Found): void {
    out.fromServer = false;
    out.dcidLen = 0;
    let conn: QuicConnection | null;
    if (zeroRtt && dcid.length > 0) {
      conn = this.byInitialDcid.get(dcid) ?? null;
      out.fromServer = false;
    } else {
      conn = this.findDcid(dcid, conv, srcKey, out);
      if (initial && conn === null && dcid.length > 0) {
        conn = this.byInitialDcid.get(dcid) ?? null;
        if (conn !== null) out.fromServer = false;
      }
      // A client Initial that names neither the first DCID nor one the server chose starts afresh
      // (after Version Negotiation, say).
      if (initial && conn !== null && !out.fromServer && dcid.length > 0 &&
        dcid !== conn.clientDcidInitial && !hasPrefixMatch(conn.serverCids, dcid)) conn = null;
    }
    out.conn = conn !== null && conn.alive ? conn : null;
  }

  /**
   * The connection of a short header whose bytes after the first are `raw` (hex, up to 20 bytes):
   * by the conversation's connections and their IDs, else by the longest known DCID it starts with.
   */
  findShort(raw: string, conv: string, srcKey: string, out: Found): void {
    out.fromServer = false;
    out.dcidLen = 0;
    let conn = this.findDcid(raw, conv, srcKey, out);
    if (conn === null) {
      const list = this.conversations.get(conv);
      if (list !== undefined) {
        let first = true;
        for (const c of list) {
          if (!c.alive) continue;
          if (first) {
            out.fromServer = c.serverKey === srcKey;
            first = false;
          }
          if (hasPrefixMatch(out.fromServer ? c.clientCids : c.serverCids, raw)) {
            conn = c;
            break;
          }
        }
      }
      for (let n = raw.length / 2 - 1; conn === null && n >= 1; n--) {
        if (this.knownLength(n)) conn = this.findDcid(raw.slice(0, 2 * n), conv, srcKey, out);
      }
    }
    out.conn = conn;
    if (conn !== null) {
      const ids = out.fromServer ? conn.clientCids : conn.serverCids;
      out.dcidLen = ids.length > 0 ? ids[0].length / 2 : 0;
    }
  }

  private insertCid(conn: QuicConnection, cid: string, server: boolean): void {
    if (conn.keys.length >= MAX_KEYS_PER_CONNECTION) return;
    const map = server ? this.byServerCid : this.byClientCid;
    map.set(cid, conn);
    conn.keys.push((server ? 's' : 'c') + cid);
    this.cidLengths |= 1 << (cid.length / 2);
  }

  /** A client's first Initial makes a connection. */
  create(version: number, serverKey: string, conv: string): QuicConnection {
    if (this.connections >= MAX_CONNECTIONS) this.forgetOldest();
    const conn = new QuicConnection(this.connectionsMade++);
    conn.version = version;
    conn.serverKey = serverKey;
    this.order.push(conn);
    this.markConversation(conv);
    const list = this.conversations.get(conv)!;
    list.unshift(conn);
    if (list.length > MAX_CONNS_PER_CONVERSATION) list.length = MAX_CONNS_PER_CONVERSATION;
    return conn;
  }

  /** The IDs a client Initial names: its SCID, and the DCID its Initial keys come from. */
  updateInitial(conn: QuicConnection, scid: string, dcid: string): void {
    if (scid.length > 0) {
      conn.clientCids.length = 0;
      conn.clientCids.push(scid);
      this.insertCid(conn, scid, false);
    }
    if (dcid.length > 0) {
      conn.clientDcidInitial = dcid;
      if (conn.keys.length >= MAX_KEYS_PER_CONNECTION) return;
      this.byInitialDcid.set(dcid, conn);
      conn.keys.push('i' + dcid);
    }
  }

  /** A client Initial answering a Retry: its new IDs, and the server's first ID to be learnt again. */
  restartAfterRetry(conn: QuicConnection, scid: string, dcid: string): void {
    this.updateInitial(conn, scid, dcid);
    if (conn.serverCids.length > 0) {
      const first = conn.serverCids[0];
      if (this.byServerCid.get(first) === conn) this.byServerCid.delete(first);
      conn.serverCids.shift();
    }
  }

  /** A server's Retry: the client's next Initial derives new keys. */
  retry(conn: QuicConnection): void {
    if (conn.clientDcidInitial !== null && this.byInitialDcid.get(conn.clientDcidInitial) === conn) this.byInitialDcid.delete(conn.clientDcidInitial);
    conn.clientDcidInitial = null;
  }

  /** The server's first ID (from its first Initial, Handshake or Retry). */
  learnServerCid(conn: QuicConnection, scid: string): void {
    if (conn.serverCids.length === 0 && scid.length > 0) {
      conn.serverCids.push(scid);
      this.insertCid(conn, scid, true);
    }
  }

  /** An ID a NEW_CONNECTION_ID frame announces. */
  addCid(conn: QuicConnection, cid: string, fromServer: boolean): void {
    const ids = fromServer ? conn.serverCids : conn.clientCids;
    if (cid.length === 0 || ids.length === 0 || hasPrefixMatch(ids, cid) || ids.length >= MAX_CIDS_PER_SIDE) return;
    ids.push(cid);
    this.insertCid(conn, cid, fromServer);
  }

  /** Derive both sides' Initial keys from `dcid` (hex) in the connection's version. */
  deriveInitialKeys(conn: QuicConnection, dcid: string): void {
    const id = Buffer.from(dcid, 'hex');
    conn.clientInitial = initialKeys(conn.version, id, false);
    conn.serverInitial = initialKeys(conn.version, id, true);
  }

  private forgetOldest(): void {
    const conn = this.order[this.orderHead];
    this.order[this.orderHead++] = undefined as unknown as QuicConnection;
    if (this.orderHead > 1024 && this.orderHead * 2 > this.order.length) {
      this.order.splice(0, this.orderHead);
      this.orderHead = 0;
    }
    conn.alive = false;
    for (const k of conn.keys) {
      const map = k[0] === 's' ? this.byServerCid : k[0] === 'c' ? this.byClientCid : this.byInitialDcid;
      const id = k.slice(1);
      if (map.get(id) === conn) map.delete(id);
    }
    conn.clientInitial = conn.serverInitial = null;
    this.connectionsForgotten++;
  }
}


