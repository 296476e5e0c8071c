// A small TLS record walker for decryption tests: reads a capture, puts each TCP direction's bytes
// in sequence order (retransmitted bytes once, out-of-order segments held until the gap fills) and
// cuts them into TLS records, each attributed to the frame that completed it (as tshark does).
// Deliberately independent of the dissector so that decryption is tested on its own.

import { CaptureFileReader } from '../../src/capture/file-reader';
import { CapturedFrame } from '../../src/capture/frame';
import { decodeFrame } from '../../src/decode/decoder';
import { Dissection } from '../../src/decode/dissection';

export interface WalkedRecord {
  /** Frame number (1-based) of the segment that completed the record. */
  frame: number;
  /** Connection index, in order of first packet. */
  conn: number;
  /** 0 = the direction of the connection's first packet (the client for captures that start at the SYN). */
  dir: number;
  contentType: number;
  version: number;
  /** Record body (a copy). */
  fragment: Buffer;
}

export interface WalkedCapture {
  frames: number;
  records: WalkedRecord[];
  /** Decryption Secrets Blocks found in a pcapng file. */
  reader: CaptureFileReader;
}

interface DirState {
  nextSeq: number; // -1 until the first segment
  held: Map<number, Buffer>;
  stream: Buffer;
}

function addr(d: Dissection): string {
  const b = d.buf;
  if (d.netVersion === 4) return `${b.readUInt32BE(d.netOff + 12)}`;
  return b.subarray(d.netOff + 8, d.netOff + 24).toString('hex');
}

function dstAddr(d: Dissection): string {
  const b = d.buf;
  if (d.netVersion === 4) return `${b.readUInt32BE(d.netOff + 16)}`;
  return b.subarray(d.netOff + 24, d.netOff + 40).toString('hex');
}

const SYN = 0x002;

export function walkTlsRecords(path: string): WalkedCapture {
  const reader = new CaptureFileReader(path);
  const frame = new CapturedFrame();
  const d = new Dissection();
  const conns = new Map<string, { index: number; first: string; dirs: [DirState, DirState] }>();
  const records: WalkedRecord[] = [];
  let n = 0;
  try {
    while (reader.next(frame)) {
      n++;
      decodeFrame(d, frame.buf, frame.off, frame.capLen, frame.linkType);
      if (d.tcpOff < 0 || d.netOff < 0) continue;
      const a = `${addr(d)}:${d.srcPort}`, b = `${dstAddr(d)}:${d.dstPort}`;
      const key = a < b ? `${a}|${b}` : `${b}|${a}`;
      let c = conns.get(key);
      if (c === undefined) {
        c = { index: conns.size, first: a, dirs: [newDir(), newDir()] };
        conns.set(key, c);
      }
      const dir = a === c.first ? 0 : 1;
      const st = c.dirs[dir];
      const seq = d.seqRaw;
      if (d.tcpFlags & SYN) {
        st.nextSeq = (seq + 1) >>> 0;
        continue;
      }
      const payload = Buffer.from(d.buf.subarray(d.payloadOff, d.payloadOff + d.payloadCapLen));
      if (st.nextSeq < 0) st.nextSeq = seq;
      if (payload.length > 0) {
        st.held.set(seq, payload);
        // deliver what is contiguous with the stream so far
        for (;;) {
          let progressed = false;
          for (const [s, p] of st.held) {
            const rel = (st.nextSeq - s) | 0; // bytes of p already delivered
            if (rel >= p.length) { st.held.delete(s); progressed = true; continue; }
            if (rel < 0) continue;
            st.stream = Buffer.concat([st.stream, p.subarray(rel)]);
            st.nextSeq = (s + p.length) >>> 0;
            st.held.delete(s);
            progressed = true;
          }
          if (!progressed) break;
        }
        // cut records
        while (st.stream.length >= 5) {
          const len = st.stream.readUInt16BE(3);
          if (st.stream.length < 5 + len) break;
          records.push({
            frame: n, conn: c.index, dir,
            contentType: st.stream[0], version: st.stream.readUInt16BE(1),
            fragment: Buffer.from(st.stream.subarray(5, 5 + len)),
          });
          st.stream = st.stream.subarray(5 + len);
        }
      }
    }
  } finally {
    reader.close();
  }
  return { frames: n, records, reader };
}

function newDir(): DirState {
  return { nextSeq: -1, held: new Map(), stream: Buffer.alloc(0) };
}
