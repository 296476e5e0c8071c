// Follow TLS, HTTP and HTTP/2 stream: what the key log and the HTTP dissectors reveal of one TCP
// conversation. TLS: the decrypted application data of each side, record by record (as Wireshark's
// "Follow TLS Stream"); HTTP: each message's header block and entity body, over TCP or in
// decrypted TLS (as "Follow HTTP Stream"); HTTP/2: the frames of one HTTP/2 stream, header blocks
// as their decoded header lists (as "Follow HTTP/2 Stream"). The stream's packets are replayed through fresh
// analyzers, so decryption and the HTTP framing see every record and segment from the start, and
// what is taken of each frame is what -z follow,tls|http|http2 takes (src/reports/statistics/follow.ts).

import { CapturedFrame } from '../capture/frame';
import { Pipeline } from '../pipeline';
import { StreamFollower } from '../reports/statistics/follow';
import { http2StreamIds } from '../protocols/http2/follow';
import { FollowResult, Side, tcpSide } from './follow';
import { PacketStore } from './packet-store';
import { MAX_COMPARE_PACKETS } from './compare';
import { CHUNK_BITS, CHUNK_MASK } from './columns';

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/** HTTP/2 streams of one connection listed for the view to step through. */
const MAX_SUBSTREAMS = 4096;

/**
 * `substream` (HTTP/2 only): the HTTP/2 stream to follow; -1, the connection's first but 0 (the
 * stream its first request is on).
 */
export function followDecoded(store: PacketStore, stream: number, mode: 'tls' | 'http' | 'http2', maxBytes = DEFAULT_MAX_BYTES, substream = -1): FollowResult {
  const packets = store.streamPackets(stream);
  const ix = store.index;
  let isTls = false;
  for (const i of packets) if (ix.chunks[i >>> CHUNK_BITS].tlsContent[i & CHUNK_MASK] !== 0) { isTls = true; break; }
  const res: FollowResult = { stream, protocol: 'TCP', mode, client: '', server: '', segments: [], clientBytes: 0, serverBytes: 0, truncated: false, isTls };
  const pipeline = new Pipeline({ sink: null, analyzers: store.freshAnalyzers() });
  // The replay holds this stream's packets only: the follower takes every TCP frame it is given.
  // HTTP/2's is made at the first frame of the HTTP/2 stream followed: none came before it.
  let follower: StreamFollower | null = mode === 'http2' ? null : new StreamFollower(mode, -1, maxBytes);
  const ids = new Set<number>();
  const f = new CapturedFrame();
  const n = Math.min(packets.length, MAX_COMPARE_PACKETS);
  for (let k = 0; k < n && (follower === null || follower.truncated === 0); k++) {
    const i = packets[k];
    if (k === 0) tcpSide(store, i, res); // the stream's first packet names client and server
    if (!store.frameOf(i, f)) continue;
    pipeline.framesRead = i; // the frame's own number (i + 1), as layers record it
    pipeline.handle(f);
    if (mode === 'http2') {
      http2StreamIds(pipeline.d, (id) => {
        if (id !== 0 && ids.size < MAX_SUBSTREAMS) ids.add(id);
        if (follower === null && (substream < 0 ? id !== 0 : id === substream)) {
          substream = id;
          follower = new StreamFollower('http2', -1, maxBytes, id);
        }
      });
    }
    follower?.add(pipeline.d);
  }
  if (mode === 'http2') {
    res.substream = follower === null ? -1 : substream;
    res.substreams = [...ids].sort((a, b) => a - b);
  }
  const chunks = (follower as StreamFollower | null)?.chunks ?? [];
  for (const c of chunks) {
    const packet = c.frame - 1;
    // The side from the packet index, not the follower's node 0: for TLS 1.3 tshark's node 0 is the server.
    const side = tcpSide(store, packet, res);
    res.segments.push({ side, packet, data: c.data, tls: 0 });
    if (side === Side.Client) res.clientBytes += c.data.length;
    else res.serverBytes += c.data.length;
  }
  if (((follower as StreamFollower | null)?.truncated ?? 0) > 0 || packets.length > n) res.truncated = true;
  return res;
}
