// Follow TLS and Follow HTTP stream: what the key log and the HTTP dissector reveal of one TCP
// conversation. TLS: the decrypted application data of each side, record by record (as Wireshark's
// "Follow TLS Stream"); HTTP: each message's header block and entity body, over TCP or in
// decrypted TLS (as "Follow HTTP Stream"). The stream's packets are replayed through fresh
// analyzers, so decryption and the HTTP framing see every record and segment from the start, and
// what is taken of each frame is what -z follow,tls|http takes (src/reports/statistics/follow.ts).

import { CapturedFrame } from '../capture/frame';
import { Pipeline } from '../pipeline';
import { StreamFollower } from '../reports/statistics/follow';
import { FollowResult, Side, tcpSide } from './follow';
import { PacketStore } from './packet-store';
import { MAX_COMPARE_PACKETS } from './compare';
import { CHUNK_BITS, CHUNK_MASK } from './columns';

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export function followDecoded(store: PacketStore, stream: number, mode: 'tls' | 'http', maxBytes = DEFAULT_MAX_BYTES): FollowResult {
  const packets = store.streamPackets(stream);
  const ix = store.index;
  let isTls = false;
  for (const i of packets) if (ix.chunks[i >>> CHUNK_BITS].tlsContent[i & CHUNK_MASK] !== 0) { isTls = true; break; }
  const res: FollowResult = { stream, protocol: 'TCP', mode, client: '', server: '', segments: [], clientBytes: 0, serverBytes: 0, truncated: false, isTls };
  const pipeline = new Pipeline({ sink: null, analyzers: store.freshAnalyzers() });
  // The replay holds this stream's packets only: the follower takes every TCP frame it is given.
  const follower = new StreamFollower(mode, -1, maxBytes);
  const f = new CapturedFrame();
  const n = Math.min(packets.length, MAX_COMPARE_PACKETS);
  for (let k = 0; k < n && follower.truncated === 0; k++) {
    const i = packets[k];
    if (k === 0) tcpSide(store, i, res); // the stream's first packet names client and server
    if (!store.frameOf(i, f)) continue;
    pipeline.framesRead = i; // the frame's own number (i + 1), as layers record it
    pipeline.handle(f);
    follower.add(pipeline.d);
  }
  for (const c of follower.chunks) {
    const packet = c.frame - 1;
    // The side from the packet index, not the follower's node 0: for TLS 1.3 tshark's node 0 is the server.
    const side = tcpSide(store, packet, res);
    res.segments.push({ side, packet, data: c.data, tls: 0 });
    if (side === Side.Client) res.clientBytes += c.data.length;
    else res.serverBytes += c.data.length;
  }
  if (follower.truncated > 0 || packets.length > n) res.truncated = true;
  return res;
}
