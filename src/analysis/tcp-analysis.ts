// Per-packet results of TCP conversation analysis (Wireshark's tcp.stream, relative sequence
// numbers, tcp.analysis.*). The decoder only resets these; src/analysis/streams.ts fills them.

/** Bits of `TcpAnalysis.flags`, one per `tcp.analysis.*` finding. */
export const enum TcpAnalysisFlag {
  Retransmission = 1 << 0,
  FastRetransmission = 1 << 1,
  SpuriousRetransmission = 1 << 2,
  OutOfOrder = 1 << 3,
  LostSegment = 1 << 4,
  DuplicateAck = 1 << 5,
  ZeroWindow = 1 << 6,
  WindowFull = 1 << 7,
  WindowUpdate = 1 << 8,
  KeepAlive = 1 << 9,
  KeepAliveAck = 1 << 10,
  ZeroWindowProbe = 1 << 11,
  ZeroWindowProbeAck = 1 << 12,
  AckedUnseen = 1 << 13,
  PortsReused = 1 << 14,
}

export class TcpAnalysis {
  /** tcp.stream, or -1 when the frame has no analysed TCP header. */
  stream = -1;
  /** Relative sequence / acknowledgement numbers (tcp.seq, tcp.ack) and tcp.nxtseq. */
  relSeq = 0;
  relAck = 0;
  nxtSeq = 0;
  /** 0 when the segment travels from the side that opened the conversation (client), 1 from the other side. */
  direction = 0;
  /** True when the ACK flag is set and tcp.ack is meaningful. */
  hasAck = false;
  /** TcpAnalysisFlag bits. */
  flags = 0;
  duplicateAckNum = 0;
  /** Frame number of the ACK that this one duplicates (shown as `[TCP Dup ACK 12#3]`). */
  dupAckOf = 0;
  /** Raw sequence number that relative acknowledgement numbers count from (the peer's base), -1 when unknown. */
  ackBase = -1;
  /** Seconds from the segment this ACKs to this ACK (tcp.analysis.ack_rtt), NaN when not computed. */
  ackRtt = NaN;
  /** Scaled window (tcp.window_size), -1 when the scale factor is unknown. */
  windowSize = -1;
  /** Accurate ECN negotiated on this connection: AE/CWR/ECE are the ACE counter. */
  useAce = false;

  /** A SACK edge relative to the peer's initial sequence number, as Wireshark's Info shows it. */
  sackRelative(raw: number): number {
    return this.ackBase < 0 ? raw : (raw - this.ackBase + 4294967296) % 4294967296;
  }

  reset(): void {
    this.stream = -1;
    this.relSeq = 0;
    this.relAck = 0;
    this.nxtSeq = 0;
    this.hasAck = false;
    this.direction = 0;
    this.flags = 0;
    this.duplicateAckNum = 0;
    this.dupAckOf = 0;
    this.ackBase = -1;
    this.ackRtt = NaN;
    this.windowSize = -1;
    this.useAce = false;
  }
}
