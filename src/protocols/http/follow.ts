// What Follow HTTP Stream shows of one frame, as tshark's follow,http hands it on: for each HTTP/1.x
// message the frame completes, its first line and header block as one piece, then its body as a
// second piece when it has one, as the entity it carries: de-chunked, and uncompressed when its
// Content-Encoding is gzip, deflate or br (a body that cannot be uncompressed, or in another
// encoding, is left out, as Wireshark leaves it to its data dissector). Bytes in TLS that start no
// message ("Continuation") are one piece. Over TCP and in decrypted TLS alike, the messages are
// those the HTTP dissector cut for the frame.

import * as zlib from 'node:zlib';
import { Dissection } from '../../decode/dissection';
import { http } from './index';
import { HttpMessage, dechunkedBody } from './message';

/** An uncompressed body is cut here, so a small hostile body cannot inflate without bound. */
const MAX_UNCOMPRESSED = 16 * 1024 * 1024;

/** Calls `piece` with each of the frame's pieces in order (views of the message buffers, valid until the next frame). */
export function httpFollowPieces(d: Dissection, piece: (data: Buffer) => void): void {
  const layer = http.layer(d);
  if (layer.frame !== d.number) return;
  for (let i = 0; i < layer.count; i++) {
    const m = layer.messages[i];
    if (m.continuation) {
      if (m.end > m.bodyOff) piece(m.buf.subarray(m.bodyOff, m.end));
      continue;
    }
    piece(m.buf.subarray(m.off, m.bodyOff));
    const body = entityBody(m);
    if (body !== null) piece(body);
  }
}

/** The message's body as its entity, or null when it has none (or none Wireshark can read). */
export function entityBody(m: HttpMessage): Buffer | null {
  if (m.end <= m.bodyOff) return null;
  let body: Buffer | null = m.buf.subarray(m.bodyOff, m.end);
  if (m.chunked) {
    body = dechunkedBody(m.buf, m.bodyOff, m.end);
    if (body === null || body.length === 0) return null;
  }
  const coding = m.contentEncoding.toLowerCase();
  if (coding === '' || coding === 'identity') return body;
  return uncompressed(body, coding);
}

function uncompressed(body: Buffer, coding: string): Buffer | null {
  const opts = { maxOutputLength: MAX_UNCOMPRESSED };
  try {
    if (coding === 'br') return zlib.brotliDecompressSync(body, opts);
    if (coding === 'gzip' || coding === 'x-gzip' || coding === 'deflate' || coding === 'x-deflate') {
      // zlib's own header or gzip's, found by their magic; deflate without a header is common too.
      try {
        return zlib.unzipSync(body, opts);
      } catch {
        return zlib.inflateRawSync(body, opts);
      }
    }
  } catch {
    return null;
  }
  return null;
}
