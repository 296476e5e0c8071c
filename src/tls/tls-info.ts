// Per-packet TLS findings: the records that end in this frame and the handshake messages in them.
// Filled by src/tls/; the decoder only resets it. Offsets point into `buf`, which is the frame or,
// for records reassembled across segments, the stream's reassembly buffer.

export const MAX_TLS_RECORDS = 32;

export class TlsInfo {
  recordCount = 0;
  buf: Buffer | null = null;
  readonly recordOff = new Int32Array(MAX_TLS_RECORDS);
  readonly contentType = new Uint8Array(MAX_TLS_RECORDS);
  readonly version = new Uint16Array(MAX_TLS_RECORDS);
  readonly length = new Uint16Array(MAX_TLS_RECORDS);

  reset(): void {
    this.recordCount = 0;
    this.buf = null;
  }
}
