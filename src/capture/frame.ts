// One captured frame as every source (file reader, live capture) hands it on. The object is
// reused from frame to frame: `buf[off, off + capLen)` is valid only until the source's next call.

export class CapturedFrame {
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  /** Captured bytes (frame.cap_len). */
  capLen = 0;
  /** Length on the wire (frame.len). */
  origLen = 0;
  /** Capture time: whole seconds since the epoch and nanoseconds within the second. */
  tsSec = 0;
  tsNsec = 0;
  /** LINKTYPE_* of the interface the frame came from. */
  linkType = 0;
  /** Interface index (pcapng IDB number; 0 for pcap and live capture). */
  ifIndex = 0;
  /** Byte offset of the frame's record in the file, for reading it back later; -1 when live. */
  fileOffset = -1;

  /** This frame as all of `bytes`, captured whole (frames that tcpwatch makes: tests, generators). */
  wrap(bytes: Buffer, linkType: number, tsSec = 0, tsNsec = 0): this {
    this.buf = bytes;
    this.off = 0;
    this.capLen = this.origLen = bytes.length;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.linkType = linkType;
    return this;
  }
}

/** A pull source of frames: `next` fills `frame` and returns false at the end. */
export interface FrameSource {
  next(frame: CapturedFrame): boolean;
  /** Link type of interface `ifIndex` (for writers that must declare interfaces up front). */
  readonly description: string;
  close(): void;
}
