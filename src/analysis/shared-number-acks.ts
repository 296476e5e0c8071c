// What an ACK acknowledged, as tshark's -2 -R shows it. Its first pass numbers each frame after the
// frames the read filter kept before it, so the frames it drops share the number of the next frame
// it keeps; its TCP analysis files what an ACK acknowledged (tcp.analysis.acks_frame, ack_rtt) in the
// conversation under the frame's number and its sequence and acknowledgement numbers, and the
// second pass reads a kept frame's back from there. A kept frame that acknowledges nothing itself
// therefore shows what the last frame of its number, sequence and acknowledgement acknowledged:
// the handshake's ACK lends its "ACK to the segment in frame 1" to the request that follows it
// with the same numbers. Only -2 -R runs this; one pass and -2 alone never meet it.

import { Dissection } from '../decode/dissection';
import { shownFrameNumber } from '../fields/frame-numbers';

interface Acked {
  frame: number;
  rtt: number;
}

export class SharedNumberAcks {
  /** By conversation, first-pass number, sequence and acknowledgement: the last acknowledgement filed there. */
  private readonly filed = new Map<string, Acked>();

  private static key(d: Dissection): string {
    return `${d.tcp.stream}:${shownFrameNumber(d.number)}:${d.seqRaw}:${d.ackRaw}`;
  }

  /** The first pass: file what each ACK acknowledged. */
  readonly recorder = {
    analyze: (d: Dissection): void => {
      if (d.tcpOff < 0 || d.tcp.stream < 0 || d.tcp.acksFrame <= 0) return;
      this.filed.set(SharedNumberAcks.key(d), { frame: d.tcp.acksFrame, rtt: d.tcp.ackRtt });
    },
  };

  /** The second pass: a kept frame reads what was filed under its numbers. */
  applier(kept: Uint32Array): { analyze(d: Dissection): void } {
    return {
      analyze: (d: Dissection): void => {
        if (d.tcpOff < 0 || d.tcp.stream < 0 || d.number >= kept.length || kept[d.number] === 0) return;
        const found = this.filed.get(SharedNumberAcks.key(d));
        if (found === undefined) return;
        d.tcp.acksFrame = found.frame;
        d.tcp.ackRtt = found.rtt;
        d.tcp.analysed = true;
      },
    };
  }
}
