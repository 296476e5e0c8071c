// Per-packet results of TCP conversation analysis (Wireshark's tcp.stream, relative sequence
// numbers, tcp.analysis.*, and the role a segment plays in its connection). The decoder only
// resets these; src/analysis/streams.ts fills them.

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

/** The findings tshark's tcp.analysis.retransmission stands for: it is set on fast and spurious ones too. */
export const RETRANSMISSION_FLAGS = TcpAnalysisFlag.Retransmission | TcpAnalysisFlag.FastRetransmission | TcpAnalysisFlag.SpuriousRetransmission;

/** What a segment does in its connection, for the packet list, the details and the "explain" view. */
export const enum TcpRole {
  None = 0,
  /** Three-way handshake step 1: the client's SYN. */
  HandshakeSyn = 1,
  /** Step 2: the server's SYN/ACK. */
  HandshakeSynAck = 2,
  /** Step 3: the client's ACK of the SYN/ACK. */
  HandshakeAck = 3,
  /** Carries payload bytes. */
  Data = 4,
  /** A bare acknowledgement during the data phase. */
  Ack = 5,
  /** Teardown: a FIN (with or without ACK). */
  Fin = 6,
  /** Teardown: the bare ACK of a FIN (the last one closes the connection). */
  FinAck = 7,
  /** RST. */
  Reset = 8,
}

export const TCP_ROLE_NAMES = [
  '', 'handshake step 1 (SYN)', 'handshake step 2 (SYN/ACK)', 'handshake step 3 (ACK)', 'data', 'ACK',
  'teardown FIN', 'teardown ACK', 'reset',
];

/** Bits of a connection's state (TcpConversation.state), as they stand after a segment. */
export const enum TcpState {
  SynSeen = 1 << 0,
  SynAckSeen = 1 << 1,
  /** The client's ACK of the SYN/ACK was seen. */
  Established = 1 << 2,
  /** Payload bytes seen in either direction. */
  Data = 1 << 3,
  FinFromClient = 1 << 4,
  FinFromServer = 1 << 5,
  /** Both FINs sent and both acknowledged. */
  Closed = 1 << 6,
  Reset = 1 << 7,
}

/** Bits of tcp.completeness: what a conversation has shown of a whole connection (Wireshark 4.0). */
export const enum TcpCompleteness {
  Syn = 1,
  SynAck = 2,
  Ack = 4,
  Data = 8,
  Fin = 16,
  Rst = 32,
}

export class TcpAnalysis {
  /** tcp.stream, or -1 when the frame has no analysed TCP header. */
  stream = -1;
  /**
   * tcp.seq and tcp.ack as Wireshark shows them: relative to each side's initial sequence number, or
   * raw where Wireshark shows raw (the acknowledgement number of a segment without ACK, and both
   * numbers of a header quoted in an ICMP error).
   */
  relSeq = 0;
  relAck = 0;
  /** tcp.nxtseq: relative sequence number after this segment (SYN and FIN count one). */
  nxtSeq = 0;
  /** 0 when the segment travels from the side that opened the conversation (client), 1 from the other side. */
  direction = 0;
  /** True when the ACK flag is set (tcp.ack is then relative). */
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
  /** Frame number of the segment this one acknowledges (tcp.analysis.acks_frame), 0 when none. */
  acksFrame = 0;
  /**
   * tcp.analysis.bytes_in_flight: unacknowledged bytes of this side once this segment is sent, less
   * what the peer's latest SACK blocks report received; 0 when Wireshark shows none.
   */
  bytesInFlight = 0;
  /** tcp.analysis.push_bytes_sent: bytes sent since the last PSH, shown with bytes_in_flight. */
  pushBytesSent = 0;
  /** tcp.analysis.rto (seconds) and rto_frame of a plain retransmission; NaN and 0 when none. */
  rto = NaN;
  rtoFrame = 0;
  /** tcp.analysis.initial_rtt: the handshake's round-trip time in seconds, NaN while unknown. */
  initialRtt = NaN;
  /**
   * The sequence analysis found something to show (Wireshark's per-segment analysis record): a
   * finding, the segment this acknowledges, or bytes in flight. Without one there is no
   * "SEQ/ACK analysis" node.
   */
  analysed = false;
  /** Scaled window (tcp.window_size), -1 when the scale factor is unknown. */
  windowSize = -1;
  /** tcp.window_size_scalefactor: the multiplier, -1 when unknown, -2 when no scaling is in use; 0 on a SYN (not shown). */
  windowScale = 0;
  /** tcp.completeness: TcpCompleteness bits the conversation had before this segment. */
  completeness = 0;
  /** tcp.time_relative and tcp.time_delta, in seconds: since the stream's first segment and its previous one. */
  timeRelative = 0;
  timeDelta = 0;
  /** For a FIN: its side sent the connection's first FIN (closes actively), else it answers the peer's. */
  finActive = false;
  /**
   * The payload's bytes that went into reassembly, to wait for a later segment or to complete an
   * earlier one (tcp.segment_data): where they start, -1 when none did, and where they end. Set by
   * the stages that frame protocols over TCP.
   */
  segmentDataOff = -1;
  segmentDataEnd = -1;
  /** Accurate ECN negotiated on this connection: AE/CWR/ECE are the ACE counter. */
  useAce = false;
  /** TcpRole of this segment. */
  role: number = TcpRole.None;
  /** Position in the teardown (1 = first FIN, 2 = next teardown segment, …), 0 outside it. */
  teardownStep = 0;
  /** TcpState bits of the connection after this segment. */
  state = 0;

  /** The payload's bytes [off, end) went into reassembly. */
  keepForReassembly(off: number, end: number): void {
    if (this.segmentDataOff < 0 || off < this.segmentDataOff) this.segmentDataOff = off;
    if (end > this.segmentDataEnd) this.segmentDataEnd = end;
  }

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
    this.acksFrame = 0;
    this.analysed = false;
    this.bytesInFlight = 0;
    this.pushBytesSent = 0;
    this.rto = NaN;
    this.rtoFrame = 0;
    this.initialRtt = NaN;
    this.windowSize = -1;
    this.windowScale = 0;
    this.completeness = 0;
    this.timeRelative = 0;
    this.timeDelta = 0;
    this.finActive = false;
    this.segmentDataOff = -1;
    this.segmentDataEnd = -1;
    this.useAce = false;
    this.role = TcpRole.None;
    this.teardownStep = 0;
    this.state = 0;
  }
}

/**
 * TCP findings that keep a segment from the protocol above it (Wireshark's
 * tcp.no_subdissector_on_error, on by default): the TLS stage and the PDU framing skip such segments.
 */
export const NOT_DISSECTED = TcpAnalysisFlag.Retransmission | TcpAnalysisFlag.FastRetransmission |
  TcpAnalysisFlag.SpuriousRetransmission | TcpAnalysisFlag.OutOfOrder | TcpAnalysisFlag.KeepAlive;
