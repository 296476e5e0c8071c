// The explain view's data for one TCP stream of the store: its packets replayed in capture order
// through fresh analyzers into a StreamExplainer (src/reports/explain.ts), which writes the ladder
// and the sentence for each packet, exactly as `--explain` does headless.

import { CapturedFrame } from '../capture/frame';
import { Pipeline } from '../pipeline';
import { StreamExplainer } from '../reports/explain';
import { PacketStore } from './packet-store';

/** Packets of one stream replayed for the view; a longer stream shows its beginning. */
export const MAX_EXPLAIN_PACKETS = 20000;

export function explainStream(store: PacketStore, stream: number, timeDigits: number): { explainer: StreamExplainer; truncated: boolean } {
  const packets = store.streamPackets(stream);
  const pipeline = new Pipeline({ sink: null, analyzers: store.freshAnalyzers() });
  const f = new CapturedFrame();
  const x = new StreamExplainer(stream, timeDigits);
  const n = Math.min(packets.length, MAX_EXPLAIN_PACKETS);
  for (let k = 0; k < n; k++) {
    const i = packets[k];
    if (!store.frameOf(i, f)) continue;
    pipeline.handle(f);
    // The replay numbers its frames 1, 2, …; the ladder shows the capture's frame numbers.
    pipeline.d.number = i + 1;
    x.add(pipeline.d);
  }
  return { explainer: x, truncated: packets.length > n };
}
