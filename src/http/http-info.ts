// An HTTP/2 frame as src/http/http2.ts reads it from one direction's bytes, for the HTTP/2
// protocol's layer (src/protocols/http2/) to show.

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
}
