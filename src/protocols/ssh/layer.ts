// What tcpwatch knows of one frame's SSH bytes: the decode step notes where they lie, the `ssh`
// analysis stage (analyzer.ts), which knows the stream's state, says what each part is. Numbers and
// offsets only; names and strings are made when a view asks (fields.ts, summary.ts).

import { NameTable } from './wire';

/** How the frame's SSH bytes stand towards the PDUs they carry (tshark's columns differ for each). */
export const enum Role {
  /** Not analysed or not dissected (a retransmission): TCP's summary stands and the layer is removed. */
  None = 0,
  /** Whole messages (and possibly the start of one it names): Protocol SSH/SSHv1/SSHv2, Info "Client: …". */
  Ssh = 1,
  /** Starts a PDU that later segments complete, and nothing before it: Protocol TCP, "[TCP segment of a reassembled PDU]". */
  PduStart = 2,
  /** Only the middle of a PDU: the layer is removed, TCP's summary plus " [TCP segment of a reassembled PDU]". */
  PduMiddle = 3,
  /** Whole messages, then the start of one that later segments complete: their names without "Client: ". */
  PduLater = 4,
}

export const enum ItemKind {
  /** RFC 4253 §4.2 identification string; aux = its length without CR LF. */
  Banner = 0,
  /** A binary packet before this side's NEWKEYS (SSHv2): packet_length, padding, message code. */
  Packet2 = 1,
  /** An SSHv1 packet; code < 0 once the side's key exchange frame has passed (encrypted); aux = packet_length. */
  Packet1 = 2,
  /** Encrypted bytes to the segment's end; aux = their length on the wire. */
  Encrypted = 3,
  /** Encrypted bytes tshark tries to decrypt with no keys, adding nothing to Info. */
  TrialDecrypted = 4,
  /** The end of a PDU that earlier segments began; code/table name it from its first bytes. */
  Continuation = 5,
  /** The end of an SSHv1 packet tshark reassembled 4 bytes short: it reads as nothing (see analyzer.ts). */
  ShortReassembly = 6,
}

/** Parts kept per frame; a segment holding more (tiny packets) is summarised up to here and read no further. */
export const MAX_ITEMS = 256;

export class SshLayer {
  off = 0;
  end = 0;
  /** Where the payload ends on the wire (reported length), for "Encrypted packet (len=N)". */
  wireEnd = 0;
  /** Frame number the stage analysed this record for; the rest is valid only when it is the current frame. */
  frame = -1;
  role: Role = Role.None;
  /** The conversation's version when the frame began (0 = not known: "SSH"). */
  version = 0;
  server = false;
  /** Dissection stopped at bad lengths (tshark's exception): Info lacks "Client: ", the frame is malformed. */
  aborted = false;
  count = 0;
  readonly kind = new Uint8Array(MAX_ITEMS);
  readonly start = new Int32Array(MAX_ITEMS);
  readonly len = new Int32Array(MAX_ITEMS);
  readonly code = new Int16Array(MAX_ITEMS);
  readonly table = new Uint8Array(MAX_ITEMS);
  readonly aux = new Float64Array(MAX_ITEMS);

  add(kind: ItemKind, start: number, len: number, code: number, table: NameTable, aux: number): void {
    if (this.count >= MAX_ITEMS) return;
    const i = this.count++;
    this.kind[i] = kind;
    this.start[i] = start;
    this.len[i] = len;
    this.code[i] = code;
    this.table[i] = table;
    this.aux[i] = aux;
  }
}
