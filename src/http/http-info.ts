// An HTTP/2 frame as src/http/http2.ts reads it from one direction's bytes, for the HTTP/2
// protocol's layer (src/protocols/http2/) to show.

import type { HeaderDetail } from './hpack';

export interface Http2Frame {
  type: number;
  flags: number;
  streamId: number;
  length: number;
  /** Decoded header list of HEADERS / PUSH_PROMISE (with its CONTINUATIONs), else null. */
  headers: [string, string][] | null;
  /**
   * Header fields of the block decoded but not kept in `headers`, because the block or the record
   * it ended in went past tcpwatch's bounds (src/http/http2.ts); 0 when the list is whole.
   */
  headersCut: number;
  /**
   * The payload, for the frames whose fields the details show: header-block frames within
   * tcpwatch's bounds, SETTINGS and the small control frames; null for others (DATA's data is
   * the layer's).
   */
  payload: Buffer | null;
  /** Where the header block fragment lies in the payload (after padding length, priority, promised stream); -1: none. */
  blockStart: number;
  blockEnd: number;
  /** How the decoded fields were encoded, when the block is this frame's fragment alone (offsets from blockStart). */
  detail: HeaderDetail | null;
}
