// Per-frame results of HTTP dissection over decrypted TLS: the HTTP/1.x messages and the HTTP/2
// frames that end in this frame. One reused object per Dissection, filled by the decryption stage
// (src/tls/decrypt-analyzer.ts), read by src/fields/http.ts.

import { Dissection, Slot } from '../decode/dissection';

export interface Http1Message {
  request: boolean;
  /** Request: method, URI, version. Response: version, status code, reason phrase. */
  method: string;
  uri: string;
  version: string;
  code: number;
  phrase: string;
  /** Host header of a request ('' when absent). */
  host: string;
  contentLength: number;
}

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

export class HttpInfo {
  readonly http1: Http1Message[] = [];
  readonly http2: Http2Frame[] = [];

  reset(): void {
    this.http1.length = 0;
    this.http2.length = 0;
  }
}

const infos = new Slot(() => new HttpInfo());

export function httpInfoOf(d: Dissection): HttpInfo {
  return infos.of(d);
}
