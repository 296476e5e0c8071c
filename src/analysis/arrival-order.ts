// Where the bytes of a TCP segment go for a protocol above TCP, by tshark's default placement
// (tcp.reassemble_out_of_order off): in arrival order by relative sequence number, bytes already
// seen skipped, and a segment that TCP analysis calls a retransmission, out of order or a
// keep-alive not handed on (tcp.no_subdissector_on_error). The TLS stage and the PDU framing both
// place segments this way.

import { Dissection } from '../decode/dissection';
import { TH_SYN } from '../decode/tcp';
import { NOT_DISSECTED } from './tcp-analysis';

/** How far one direction of a conversation has got. */
export interface ArrivalOrder {
  haveSeq: boolean;
  /** Relative sequence number of the next byte expected. */
  nextSeq: number;
}

/** What the last placeSegment found besides where to start: bytes that will never be handed on. */
export const placed = { lost: 0 };

/**
 * Where in d.buf the frame's new bytes for direction `dir` start, or -1 when the segment hands
 * nothing on; placed.lost is then the number of bytes skipped for good (a gap before the segment,
 * or the new bytes of a segment not handed on), which end any PDU being collected.
 */
export function placeSegment(d: Dissection, dir: ArrivalOrder): number {
  const len = d.payloadLen;
  let seq = d.tcp.relSeq;
  if (d.tcpFlags & TH_SYN) seq = (seq + 1) >>> 0;
  if (!dir.haveSeq) {
    dir.haveSeq = true;
    dir.nextSeq = seq;
  }
  const diff = (seq - dir.nextSeq) | 0;
  placed.lost = 0;
  if (d.tcp.flags & NOT_DISSECTED) {
    // Its new bytes, if any, are passed over: a PDU being collected cannot complete with them.
    if (diff + len > 0) {
      placed.lost = diff + len;
      dir.nextSeq = (seq + len) >>> 0;
    }
    return -1;
  }
  let p = d.payloadOff;
  if (diff < 0) {
    // Bytes already seen: a retransmission is not dissected again (tshark marks it in TCP only).
    if (diff + len <= 0) return -1;
    p -= diff;
  } else if (diff > 0) {
    placed.lost = diff;
  }
  dir.nextSeq = (seq + len) >>> 0;
  return p;
}
