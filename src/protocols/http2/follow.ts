// What Follow HTTP/2 Stream shows of one packet, as tshark's follow,http2 hands it on: for each of
// the packet's frames on the followed HTTP/2 stream, a header block (HEADERS or PUSH_PROMISE with
// its CONTINUATIONs, on the frame that ends it) as its decoded header list, each field a 4-byte
// big-endian name length, the name, a 4-byte value length and the value (how Wireshark keeps a
// decompressed field); any other frame as its whole bytes, 9-byte header included. A block that was
// not decoded gives nothing, as in Wireshark, and so does the client's preface.

import { Dissection } from '../../decode/dissection';
import { http2, Http2Layer } from './index';

const HEADERS = 0x1, PUSH_PROMISE = 0x5, CONTINUATION = 0x9;

/** Calls `piece` with each of the frame's pieces on HTTP/2 stream `streamId`, in order (views valid until the next frame). */
export function http2FollowPieces(d: Dissection, streamId: number, piece: (data: Buffer) => void): void {
  if (!d.hasLayer(http2.id)) return;
  const layer: Http2Layer = http2.layer(d);
  if (layer.frameNumber !== d.number) return;
  for (let i = 0; i < layer.count; i++) {
    const e = layer.entries[i];
    const f = e.frame;
    if (f === null || f.streamId !== streamId) continue;
    if (f.type === HEADERS || f.type === PUSH_PROMISE || f.type === CONTINUATION) {
      if (f.headers !== null) piece(headerListBytes(f.headers));
    } else if (e.pduBuf !== null) {
      piece(e.pduBuf.subarray(e.pduOff, e.pduEnd));
    }
  }
}

/** A decoded header list as length-prefixed names and values; strings are latin1, one character per octet. */
function headerListBytes(headers: [string, string][]): Buffer {
  let n = 0;
  for (const [name, value] of headers) n += 8 + name.length + value.length;
  const out = Buffer.allocUnsafe(n);
  let p = 0;
  for (const [name, value] of headers) {
    out.writeUInt32BE(name.length, p);
    p += 4 + out.write(name, p + 4, 'latin1');
    out.writeUInt32BE(value.length, p);
    p += 4 + out.write(value, p + 4, 'latin1');
  }
  return out;
}

/** Calls `id` with the HTTP/2 stream of each of the packet's frames, in order (the preface has none). */
export function http2StreamIds(d: Dissection, id: (streamId: number) => void): void {
  if (!d.hasLayer(http2.id)) return;
  const layer: Http2Layer = http2.layer(d);
  if (layer.frameNumber !== d.number) return;
  for (let i = 0; i < layer.count; i++) {
    const f = layer.entries[i].frame;
    if (f !== null) id(f.streamId);
  }
}
