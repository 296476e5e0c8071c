// What the ICMP decode step keeps per frame: numbers and offsets, made once per Dissection.

export class IcmpLayer {
  /** Messages in the frame: the one the frame carries, and one an error quotes (0 to 2). */
  count = 0;
  readonly off = new Int32Array(2);
  readonly end = new Int32Array(2);
  /** The IPv4 header that carried each message (its TTL is in the echo Info). */
  readonly ipOff = new Int32Array(2);
  /** Bytes the IP header says the message has (its reported length), to know whether all were captured. */
  readonly reportedLen = new Int32Array(2);
  /** The enclosing IP packet is a fragment: Wireshark then does not verify the checksum. */
  readonly fragmented = new Uint8Array(2);
  /** Where the message's multi-part extension structure starts (RFC 4884, RFC 8335), -1 when it has none. */
  readonly extOff = new Int32Array(2);
}
