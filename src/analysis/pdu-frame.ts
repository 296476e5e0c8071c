// What the TCP PDU framing (pdu-framing.ts) found in one frame, kept in a Slot of the Dissection:
// whether the frame only carries pieces of a PDU that a later frame completes, which the Protocol
// and Info columns then show as tshark does. Apart from the stage so that the columns read it
// without depending on the analysis pipeline.

import { Dissection, Slot } from '../decode/dissection';

export const REASSEMBLED_PDU = '[TCP segment of a reassembled PDU]';
export const PACKET_SIZE_LIMITED = '[Packet size limited during capture]';

/** What a frame's segment was to the framed protocol, for the Protocol and Info columns. */
export const enum PduRole {
  /** Not framed, or PDUs were dissected in it (the protocol's own columns stand). */
  None = 0,
  /** Carries only pieces of a PDU that a later frame completes: TCP's Info plus the mark. */
  Piece = 1,
  /** As Piece, but the protocol had already written a headline (`HTTP/1.0 200 OK `) before the mark. */
  PieceWithHeadline = 2,
  /**
   * The snapshot length cut the segment: what was captured cannot be reassembled, so the protocol
   * read what it could and the columns say "[Packet size limited during capture]", as Wireshark's
   * do when a dissector runs past the captured bytes (truncated, not malformed).
   */
  Truncated = 3,
  /** As Truncated, but the protocol (or its heuristic) ran past the bytes before it wrote anything: TCP's Info, then the mark. */
  TruncatedBeforeProtocol = 4,
}

/** Per-frame result of framing, kept in a Slot of the Dissection. */
export class PduFrame {
  frame = -1;
  role: PduRole = PduRole.None;
  /** The framed protocol's id (0 = none). */
  proto = 0;
  /** PDUs handed to the protocol in this frame. */
  pdus = 0;
  headline = '';

  reset(n: number): void {
    this.frame = n;
    this.role = PduRole.None;
    this.proto = 0;
    this.pdus = 0;
    this.headline = '';
  }
}

export const pduFrames = new Slot(() => new PduFrame());

/** The framing result of the frame in `d` (role None when the frame was not framed). */
export function pduFrameOf(d: Dissection): PduFrame | null {
  const f = pduFrames.peek(d);
  return f !== undefined && f.frame === d.number ? f : null;
}


/** Segments a reassembled PDU lists, the first of them (beyond, they are counted only). */
export const MAX_LISTED_SEGMENTS = 4096;

/**
 * The PDU this frame completed from segments of earlier frames, as Wireshark's tree lists it under
 * "[N Reassembled TCP Segments (M bytes): #a(x), #b(y)]": each segment's frame and byte count, and
 * the reassembled bytes, which stay valid until the next frame (a pool buffer).
 */
export class ReassembledPdu {
  frame = -1;
  buf: Buffer = Buffer.alloc(0);
  len = 0;
  /** Segments the PDU was made of, and the first `listed` of them with their frame and bytes. */
  segments = 0;
  listed = 0;
  readonly segmentFrame = new Int32Array(MAX_LISTED_SEGMENTS);
  readonly segmentLen = new Int32Array(MAX_LISTED_SEGMENTS);
}

export const reassembledPdus = new Slot(() => new ReassembledPdu());

/** The PDU the frame in `d` completed from earlier segments, or null. */
export function reassembledPduOf(d: Dissection): ReassembledPdu | null {
  const r = reassembledPdus.peek(d);
  return r !== undefined && r.frame === d.number ? r : null;
}
