// The compare view's data for one TCP stream of the store: its packets replayed in capture order
// through fresh analyzers (TCP streams, TLS, decryption with the capture's key log, verdicts) into a
// StreamComparer (src/reports/compare.ts), which keeps the wire bytes and what they mean.

import { CapturedFrame } from '../capture/frame';
import { Pipeline } from '../pipeline';
import { StreamComparer } from '../reports/compare';
import { withVerdicts } from '../reports/verdict';
import { PacketStore } from './packet-store';

/** Packets of one stream replayed for the view; a longer stream shows its beginning. */
export const MAX_COMPARE_PACKETS = 20000;

export function compareStream(store: PacketStore, stream: number): StreamComparer {
  const packets = store.streamPackets(stream);
  const pipeline = new Pipeline({ sink: null, analyzers: withVerdicts(store.freshAnalyzers()) });
  const f = new CapturedFrame();
  const c = new StreamComparer(stream);
  const n = Math.min(packets.length, MAX_COMPARE_PACKETS);
  for (let k = 0; k < n; k++) {
    const i = packets[k];
    if (!store.frameOf(i, f)) continue;
    pipeline.handle(f);
    c.add(pipeline.d, i + 1);
  }
  if (packets.length > n) c.truncated = true;
  c.finishVerdict();
  // The index's verdict covers every packet of the stream, as the whole capture was read.
  const row = store.index.verdicts.row(stream);
  if (row !== null && (packets.length > n || c.verdict === null)) c.verdict = row;
  return c;
}
