// How Wireshark's show_fragment_tree words a reassembled PDU's fragments (epan/reassemble.c): the
// list's heading `3 Reassembled Handshake Fragments (295 bytes): #35(36), #35(133), #35(126)` and
// one line per fragment, `Frame: 35, payload: 0-35 (36 bytes)`. One wording for every protocol
// that lists its fragments.

import { shownFrameNumber } from './frame-numbers';

const bytes = (n: number): string => `${n} byte${n === 1 ? '' : 's'}`;

/** The heading of a fragment list: how many, what they are, the reassembled length, and each fragment's frame and length. */
export function fragmentsHeading(count: number, what: string, total: number, frames: ArrayLike<number>, lens: ArrayLike<number>, first: number, shown: number): string {
  const list: string[] = [];
  for (let f = first; f < first + shown; f++) list.push(`#${shownFrameNumber(frames[f])}(${lens[f]})`);
  return `${count} ${what} (${bytes(total)}): ${list.join(', ')}`;
}

/** One fragment: its frame and the bytes of the reassembled PDU it holds. */
export function fragmentLine(frame: number, off: number, len: number): string {
  return `Frame: ${shownFrameNumber(frame)}, payload: ${off}-${off + len - 1} (${bytes(len)})`;
}
