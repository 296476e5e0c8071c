// What the ICMPv6 decode step keeps per frame: numbers and offsets, made once per Dissection.

/** Node Information names (a query's subject, a reply's node names) kept per frame (a real reply has one or two): with each name's walk bounded, a frame of names built to loop costs at most 256 such walks; more are not listed. */
export const MAX_NI_NAMES = 256;

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
  /** The names in DNS form of the frame's Node Information message (node-info.ts): how many, and each one's start and end in `niNameSpans`. */
  niNames = 0;
  readonly niNameSpans = new Int32Array(2 * MAX_NI_NAMES);
}
