// What the UDP conversation stage (udp-streams.ts) found for a frame, kept in a Slot of the
// Dissection: apart from the stage so that the fields read it without depending on the pipeline.

import { Dissection, Slot } from '../decode/dissection';

/** What the stage found for the current frame. */
export class UdpStreamInfo {
  frame = -1;
  stream = -1;
  sinceFirst = 0;
  sincePrevious = 0;
}

export const udpStreamInfos = new Slot(() => new UdpStreamInfo());

/** The UDP conversation of the frame in `d`, or null when the stage did not number it. */
export function udpStreamOf(d: Dissection): UdpStreamInfo | null {
  const u = udpStreamInfos.peek(d);
  return u !== undefined && u.frame === d.number && u.stream >= 0 ? u : null;
}

