// Follow TLS stream: what the key log reveals of one TCP conversation, the decrypted application
// data of each side in record order (as Wireshark's "Follow TLS Stream"). The stream's packets are
// replayed through fresh analyzers, so decryption sees every record from the handshake on.

import { CapturedFrame } from '../capture/frame';
import { Pipeline } from '../pipeline';
import { decryptInfoOf } from '../tls/decrypt-info';
import { FollowResult, Side, tcpSide } from './follow';
import { PacketStore } from './packet-store';
import { MAX_COMPARE_PACKETS } from './compare';

const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

export function followTlsStream(store: PacketStore, stream: number, maxBytes = DEFAULT_MAX_BYTES): FollowResult {
  const packets = store.streamPackets(stream);
  const res: FollowResult = { stream, protocol: 'TCP', mode: 'tls', client: '', server: '', segments: [], clientBytes: 0, serverBytes: 0, truncated: false, isTls: true };
  const pipeline = new Pipeline({ sink: null, analyzers: store.freshAnalyzers() });
  const f = new CapturedFrame();
  const n = Math.min(packets.length, MAX_COMPARE_PACKETS);
  let total = 0;
  for (let k = 0; k < n && !res.truncated; k++) {
    const i = packets[k];
    const side = tcpSide(store, i, res);
    if (!store.frameOf(i, f)) continue;
    pipeline.framesRead = i; // the frame's own number, as layers record it
    pipeline.handle(f);
    const info = decryptInfoOf(pipeline.d);
    for (let r = 0; r < info.count; r++) {
      const data = info.applicationData(r);
      if (data === null) continue;
      if (total + data.length > maxBytes) {
        res.truncated = true;
        break;
      }
      total += data.length;
      // A record's plaintext lives with the capture's decryption state; the view keeps its own copy.
      res.segments.push({ side, packet: i, data: Buffer.from(data), tls: 0 });
      if (side === Side.Client) res.clientBytes += data.length;
      else res.serverBytes += data.length;
    }
  }
  if (packets.length > n) res.truncated = true;
  return res;
}
