// What the ICMPv6 decode step keeps per frame: numbers and offsets, made once per Dissection.

export class Icmpv6Layer {
  /** Messages in the frame: the one the frame carries, and one an error quotes (0 to 2). */
  count = 0;
  readonly off = new Int32Array(2);
  readonly end = new Int32Array(2);
  /** The IPv6 header that carried each message (pseudo-header of the checksum, hop limit of the echo Info). */
  readonly ipOff = new Int32Array(2);
  /** Bytes the IPv6 header says the message has, to know whether all were captured. */
  readonly reportedLen = new Int32Array(2);
  readonly fragmented = new Uint8Array(2);
}
