// The `ssh` analysis stage: per TCP stream and direction, the state packet-ssh.c (tshark 4.0) keeps,
// and with it what each segment's bytes are. A side first sends its identification string (RFC 4253
// §4.2); the client's names the version (SSH-2.x and SSH-1.99 are SSHv2, other SSH-1.x SSHv1),
// which names the Protocol column from the next frame on. Then binary packets (§6) are read in the
// clear until the side's NEWKEYS; after it, the rest of each segment is one encrypted chunk.
//
// A packet longer than what the segment holds is a PDU that TCP reassembly completes in tshark. This
// stage does not collect bytes (PDU framing over TCP is one shared mechanism, still to come): it
// counts how many bytes the PDU still needs, so that the segments after it read as tshark's
// "[TCP segment of a reassembled PDU]" and the one that completes it names the message by the code
// seen in its first bytes. What such a completed message carries (fields, a KEXINIT's proposals) is
// not known until that mechanism hands this stage whole PDUs.

import { Dissection, Malformed } from '../../decode/dissection';
import { NOT_DISSECTED, TcpState } from '../../analysis/tcp-analysis';
import { TH_RST } from '../../decode/tcp';
import { registerStage } from '../../hooks';
import type { Analyzer } from '../../pipeline';
import { ssh } from './protocol';
import { ItemKind, Role, SshLayer } from './layer';
import {
  chooseAlgorithm, COOKIE_LEN, isTrialDecrypted, KEX_SPECIFIC_FIRST, KEX_SPECIFIC_LAST, KEXINIT_COOKIE, KEXINIT_LISTS,
  kexTable, MESSAGE_CODE, MSG_KEXINIT, MSG_NEWKEYS, NameTable, OVERLY_LARGE_LENGTH, SSH_TCP_PORTS, startsWithAscii,
  startsWithSshDash,
} from './wire';

const CLOSED = TcpState.Closed | TcpState.Reset;
/** Conversations tracked at once; the oldest is forgotten beyond this. */
const MAX_CONVERSATIONS = 65536;
/** A PDU that never completes (a banner without its line end: tshark's reassembly waits for ever). */
const FOREVER = Infinity;
/** Bytes a binary packet header needs before its length can be read (RFC 4253 §6 packet_length). */
const LENGTH_BYTES = 4;

class Side {
  /** Its identification string has been read (packet-ssh.c frame_version_end). */
  bannerDone = false;
  /** It sent NEWKEYS: what follows is encrypted. */
  newKeys = false;
  /** The cipher it encrypts with is one tshark trial-decrypts (adds nothing to Info). */
  trialDecrypted = false;
  /** Frame of its first SSHv1 packet: only packets of that frame are read in the clear. */
  ssh1KeyFrame = 0;
  /** Its KEXINIT name-lists that later choices need. */
  kexList: string | null = null;
  readonly encLists: (string | null)[] = [null, null];
  /** Bytes still owed to a PDU begun in an earlier segment (0 = none). */
  pendingNeed = 0;
  pendingCode = -1;
  pendingTable: NameTable = NameTable.Ssh2;
  /** The pending PDU's packet_length (an SSHv1 encrypted packet is named by it). */
  pendingPlen = 0;
  /**
   * The pending PDU is an SSHv1 packet, for which tshark asks TCP for 4 bytes too few: the
   * reassembled bytes are short, read as nothing, and reading goes on 4 bytes before the next packet.
   */
  pendingShort = false;
  /** Up to 3 bytes of a packet header split across segments. */
  readonly carry = Buffer.alloc(LENGTH_BYTES);
  carryLen = 0;
}

class Conversation {
  /** 0 unknown, 1 or 2: named by the client's identification string. */
  version = 0;
  kexNames: NameTable = NameTable.KexDh;
  kexChosen = false;
  readonly sides: [Side, Side] = [new Side(), new Side()];
}

export class SshAnalyzer implements Analyzer {
  private readonly convs = new Map<number, Conversation>();

  analyze(d: Dissection): void {
    const layer = ssh.layer(d);
    if (!d.hasLayer(ssh.id)) {
      layer.frame = -1;
      // A closed connection's state is given up (packet-ssh.c keeps it for the file; segments after
      // the close are retransmissions, which SSH does not read).
      if (d.tcp.stream >= 0 && (d.tcp.state & CLOSED) !== 0 && this.convs.size > 0) this.convs.delete(d.tcp.stream);
      return;
    }
    layer.frame = d.number;
    layer.count = 0;
    layer.role = Role.None;
    layer.aborted = false;
    if (d.inIcmpError || d.tcp.stream < 0 || (d.tcp.flags & NOT_DISSECTED) !== 0) {
      removeLayer(d);
      return;
    }
    let conv = this.convs.get(d.tcp.stream);
    if (conv === undefined) {
      if (this.convs.size >= MAX_CONVERSATIONS) this.convs.delete(this.convs.keys().next().value as number);
      conv = new Conversation();
      this.convs.set(d.tcp.stream, conv);
    }
    // packet-ssh.c: the server is the side whose port is not the one SSH was found on.
    const server = d.dstPort !== matchedPort(d.srcPort, d.dstPort);
    layer.server = server;
    layer.version = conv.version;
    dissectSegment(d, layer, conv, server);
    if ((layer.role as Role) === Role.PduMiddle) removeLayer(d);
    if (d.tcpFlags & TH_RST) this.convs.delete(d.tcp.stream);
  }
}

/** The port SSH's table matched: the lower one first, as the TCP dissector tries them. */
function matchedPort(src: number, dst: number): number {
  const low = src < dst ? src : dst, high = src < dst ? dst : src;
  return (SSH_TCP_PORTS as readonly number[]).includes(low) ? low : high;
}

function removeLayer(d: Dissection): void {
  d.takeBackLayer(ssh.id);
}

function dissectSegment(d: Dissection, layer: SshLayer, conv: Conversation, server: boolean): void {
  const side = conv.sides[server ? 1 : 0];
  const buf = d.buf;
  const end = layer.end;
  let p = layer.off;
  if (side.pendingNeed > 0 || side.carryLen > 0) {
    const wireLen = layer.wireEnd - layer.off;
    if (side.carryLen > 0 && !finishCarry(d, side, conv)) {
      layer.role = Role.PduMiddle;
      d.tcp.keepForReassembly(p, end);
      return;
    }
    if (side.pendingNeed > 0) {
      if (wireLen < side.pendingNeed) {
        side.pendingNeed -= wireLen;
        layer.role = Role.PduMiddle;
        d.tcp.keepForReassembly(p, end);
        return;
      }
      d.tcp.keepForReassembly(p, Math.min(end, p + side.pendingNeed));
      layer.add(side.pendingShort ? ItemKind.ShortReassembly : ItemKind.Continuation, p, side.pendingNeed, side.pendingCode, side.pendingTable, side.pendingPlen);
      side.pendingShort = false;
      if (side.pendingCode === MSG_NEWKEYS && side.pendingTable === NameTable.Ssh2) takeNewKeys(conv, side, server);
      p += side.pendingNeed;
      side.pendingNeed = 0;
      // tshark dissects the reassembled PDU and then the rest of the segment: SSH twice in the frame.
      if (p < end) d.pushLayer(ssh.id, p);
    }
  }
  let version = conv.version;
  let desegmented = false;
  while (p < end && !desegmented && !layer.aborted && layer.count < layer.kind.length) {
    const last = p;
    if (!side.bannerDone && startsWithSshDash(buf, p, end)) {
      if (!server) {
        if (startsWithAscii(buf, p, end, 'SSH-2.') || startsWithAscii(buf, p, end, 'SSH-1.99-')) version = 2;
        else if (startsWithAscii(buf, p, end, 'SSH-1.')) version = 1;
      }
      const nl = buf.indexOf(0x0a, p);
      if (nl < 0 || nl >= end) {
        // No line end: tshark's reassembly asks for more than will ever come.
        side.pendingNeed = FOREVER;
        desegmented = true;
        break;
      }
      const lineLen = nl - p + 1;
      const protoLen = lineLen > 1 && buf[nl - 1] === 0x0d ? lineLen - 2 : lineLen - 1;
      layer.add(ItemKind.Banner, p, lineLen, -1, NameTable.Ssh2, protoLen);
      p += lineLen;
      side.bannerDone = true;
      conv.version = version;
      continue;
    }
    if (version === 2) {
      // packet-ssh.c ssh_dissect_ssh2: clear packets until NEWKEYS, then one encrypted chunk.
      while (p < end && layer.count < layer.kind.length) {
        if (side.newKeys) {
          if (side.trialDecrypted) layer.add(ItemKind.TrialDecrypted, p, end - p, -1, NameTable.Ssh2, 0);
          else layer.add(ItemKind.Encrypted, p, end - p, -1, NameTable.Ssh2, layer.wireEnd - p);
          p = end;
          break;
        }
        const next = keyExchangePacket(d, layer, conv, side, server, p);
        if (next < 0) {
          desegmented = true;
          break;
        }
        p = next;
        if (layer.aborted) break;
      }
    } else if (version === 1) {
      const next = ssh1Packet(d, layer, side, p);
      if (next < 0) desegmented = true;
      else p = next;
    } else {
      // No version known (the capture began after the identification strings): all encrypted.
      layer.add(ItemKind.Encrypted, p, end - p, -1, NameTable.Ssh2, layer.wireEnd - p);
      p = end;
    }
    if (!desegmented && p <= last) break;
  }
  if (desegmented) {
    layer.role = layer.count === 0 ? Role.PduStart : Role.PduLater;
    if (p < end) d.tcp.keepForReassembly(p, end);
  } else {
    layer.role = Role.Ssh;
  }
}

/**
 * The length of a packet whose header began in the previous segment, from the bytes kept then and
 * this segment's first bytes; false when even this segment does not finish the header.
 */
function finishCarry(d: Dissection, side: Side, conv: Conversation): boolean {
  const layer = ssh.layer(d);
  const have = side.carryLen;
  const take = Math.min(LENGTH_BYTES - have, layer.end - layer.off);
  d.buf.copy(side.carry, have, layer.off, layer.off + take);
  if (have + take < LENGTH_BYTES) {
    side.carryLen = have + take;
    return false;
  }
  side.carryLen = 0;
  const plen = side.carry.readUInt32BE(0);
  const codeAt = layer.off + (MESSAGE_CODE - have);
  const code = codeAt < layer.end ? d.buf[codeAt] : -1;
  let total: number;
  if (conv.version === 1) {
    total = plen + LENGTH_BYTES + (8 - (plen % 8));
    side.pendingCode = side.ssh1KeyFrame === 0 ? code : -1;
    side.pendingTable = NameTable.Ssh1;
    side.pendingPlen = plen;
  } else {
    total = plen + LENGTH_BYTES;
    side.pendingCode = code;
    side.pendingTable = code >= KEX_SPECIFIC_FIRST && code <= KEX_SPECIFIC_LAST ? conv.kexNames : NameTable.Ssh2;
  }
  // The bytes this segment owes the packet; tshark then dissects the reassembled packet here or later.
  side.pendingNeed = Math.max(total - have, 0);
  return true;
}

/** RFC 4253 §6 packet in the clear; returns the offset after it, or -1 when it runs past the segment. */
function keyExchangePacket(d: Dissection, layer: SshLayer, conv: Conversation, side: Side, server: boolean, p: number): number {
  const buf = d.buf;
  const end = layer.end;
  const remain = end - p;
  if (remain < LENGTH_BYTES) {
    buf.copy(side.carry, 0, p, end);
    side.carryLen = remain;
    return -1;
  }
  let plen = buf.readUInt32BE(p);
  // packet-ssh.c adds in 32 bits: a length near 2^32 wraps and reads as short.
  const total = (plen + LENGTH_BYTES) >>> 0;
  if (total > remain) {
    side.pendingNeed = total - remain;
    side.pendingCode = remain > MESSAGE_CODE ? buf[p + MESSAGE_CODE] : -1;
    side.pendingTable = side.pendingCode >= KEX_SPECIFIC_FIRST && side.pendingCode <= KEX_SPECIFIC_LAST ? conv.kexNames : NameTable.Ssh2;
    return -1;
  }
  if (plen >= OVERLY_LARGE_LENGTH) plen = remain - LENGTH_BYTES;
  if (remain <= MESSAGE_CODE) {
    // padding_length or the message code lie past the segment: tshark stops with an exception.
    d.markMalformed(Malformed.Application, ssh.id);
    layer.aborted = true;
    return end;
  }
  const padding = buf[p + 4];
  const code = buf[p + MESSAGE_CODE];
  const table = code >= KEX_SPECIFIC_FIRST && code <= KEX_SPECIFIC_LAST ? conv.kexNames : NameTable.Ssh2;
  layer.add(ItemKind.Packet2, p, plen + LENGTH_BYTES, code, table, 0);
  let parsedEnd = p + MESSAGE_CODE + 1;
  if (code === MSG_KEXINIT) {
    parsedEnd = readKexInit(d, side, p, end);
    if (parsedEnd < 0) {
      d.markMalformed(Malformed.Application, ssh.id);
      layer.aborted = true;
      return end;
    }
    const client = conv.sides[0], srv = conv.sides[1];
    if (!conv.kexChosen && client.kexList !== null && srv.kexList !== null) {
      const method = chooseAlgorithm(client.kexList, srv.kexList);
      conv.kexChosen = method !== null;
      if (method !== null) conv.kexNames = kexTable(method);
    }
  } else if (code === MSG_NEWKEYS && !side.newKeys) {
    takeNewKeys(conv, side, server);
  }
  // The payload's end before the padding must not lie before what was parsed (packet-ssh.c's
  // unsigned length then turns huge and the dissection stops with an exception).
  if (p + plen + LENGTH_BYTES - padding < parsedEnd) {
    d.markMalformed(Malformed.Application, ssh.id);
    layer.aborted = true;
    return end;
  }
  return p + plen + LENGTH_BYTES;
}

/** The side's NEWKEYS: the cipher both KEXINITs agree on for its direction decides how tshark shows what follows. */
function takeNewKeys(conv: Conversation, side: Side, server: boolean): void {
  side.newKeys = true;
  const dir = server ? 1 : 0;
  const c = conv.sides[0].encLists[dir], s = conv.sides[1].encLists[dir];
  const cipher = c !== null && s !== null ? chooseAlgorithm(c, s) : null;
  side.trialDecrypted = cipher !== null && isTrialDecrypted(cipher);
  // Once both sides encrypt, the name-lists are not needed again (a later KEXINIT is encrypted).
  if (conv.sides[0].newKeys && conv.sides[1].newKeys) {
    for (const sd of conv.sides) {
      sd.kexList = null;
      sd.encLists[0] = sd.encLists[1] = null;
    }
  }
}

/** RFC 4253 §7.1 KEXINIT body: keeps the lists later choices need; the offset after it, or -1 past the segment. */
function readKexInit(d: Dissection, side: Side, p: number, end: number): number {
  const buf = d.buf;
  let q = p + KEXINIT_COOKIE + COOKIE_LEN;
  for (let k = 0; k < KEXINIT_LISTS; k++) {
    if (q + 4 > end) return -1;
    const n = buf.readUInt32BE(q);
    if (n > end - q - 4) return -1;
    q += 4;
    if (k === 0) side.kexList = buf.toString('latin1', q, q + n);
    else if (k === 2) side.encLists[0] = buf.toString('latin1', q, q + n);
    else if (k === 3) side.encLists[1] = buf.toString('latin1', q, q + n);
    q += n;
  }
  // first_kex_packet_follows (1) and reserved (4)
  if (q + 5 > end) return -1;
  return q + 5;
}

/** An SSHv1 packet: length, 1–8 bytes of padding, then (in its first frame) a message code. */
function ssh1Packet(d: Dissection, layer: SshLayer, side: Side, p: number): number {
  const buf = d.buf;
  const end = layer.end;
  const remain = end - p;
  if (remain < LENGTH_BYTES) {
    buf.copy(side.carry, 0, p, end);
    side.carryLen = remain;
    return -1;
  }
  let plen = buf.readUInt32BE(p);
  const padding = 8 - (plen % 8);
  const total = (plen + LENGTH_BYTES + padding) >>> 0;
  const keyPhase = side.ssh1KeyFrame === 0 || side.ssh1KeyFrame === d.number;
  if (total > remain) {
    // packet-ssh.c ssh_dissect_ssh1 asks for plen + padding - remain: the length field is left out.
    const asked = total - LENGTH_BYTES - remain;
    side.pendingNeed = asked > 0 ? asked : 0;
    side.pendingShort = asked > 0;
    const codeAt = p + LENGTH_BYTES + padding;
    side.pendingCode = keyPhase && codeAt < end ? buf[codeAt] : -1;
    side.pendingTable = NameTable.Ssh1;
    side.pendingPlen = plen;
    return -1;
  }
  if (plen >= OVERLY_LARGE_LENGTH) plen = remain - LENGTH_BYTES - padding;
  const body = p + LENGTH_BYTES + padding;
  let code = -1;
  if (keyPhase) {
    if (body >= end) {
      d.markMalformed(Malformed.Application, ssh.id);
      layer.aborted = true;
      return end;
    }
    code = buf[body];
    side.ssh1KeyFrame = d.number;
  }
  layer.add(ItemKind.Packet1, p, LENGTH_BYTES + padding + plen, code, NameTable.Ssh1, plen);
  return body + plen;
}

/** The stage's record for the frame: valid when the stage analysed this very frame. */
export function analysedLayer(d: Dissection): SshLayer | null {
  const layer = ssh.layer(d);
  return layer.frame === d.number ? layer : null;
}

registerStage({ name: 'ssh', after: [], make: () => new SshAnalyzer() });
