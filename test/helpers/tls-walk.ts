// A small TLS record walker for decryption tests: reads a capture, puts each TCP direction's bytes
// in sequence order (retransmitted bytes once, out-of-order segments held until the gap fills) and
// cuts them into TLS records, each attributed to the frame that completed it (as tshark does).
// Deliberately independent of the dissector so that decryption is tested on its own.

import { CaptureFileReader } from '../../src/capture/file-reader';
import { CapturedFrame } from '../../src/capture/frame';
import { decodeFrame } from '../../src/decode/decoder';
import { Dissection } from '../../src/decode/dissection';
import { CT_APPLICATION_DATA, CT_HANDSHAKE, DecryptContext, RecordResult, RecordStatus, TlsDecryptor } from '../../src/tls/decrypt';
import { TLS1_3 } from '../../src/tls/key-schedule';
import type { KeyLog } from '../../src/tls/keylog';

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

/** What a capture's records became, per frame, in the shape of tshark's decrypted tables. */
export interface FrameView {
  /** tls.record.content_type: the inner type of decrypted TLS 1.3 records, the record's own otherwise. */
  contentTypes: number[];
  /** tls.record.opaque_type: the outer type of TLS 1.3 protected records. */
  opaqueTypes: number[];
  /** tls.handshake.type of the handshake messages completed in this frame (plaintext or decrypted). */
  handshakeTypes: number[];
  /** Decrypted application data of each non-empty record, hex. */
  appData: string[];
}

export interface DecryptedCapture {
  frames: Map<number, FrameView>;
  results: { rec: WalkedRecord; res: RecordResult }[];
  decryptors: TlsDecryptor[];
}

/** Walk a capture's records through one TlsDecryptor per connection; `mutate` may alter a record first. */
export function decryptCapture(path: string, keylog: KeyLog, mutate?: (r: WalkedRecord, index: number) => void): DecryptedCapture {
  const walked = walkTlsRecords(path);
  const ctx = new DecryptContext(keylog);
  const decs = new Map<number, TlsDecryptor>();
  const hsBuf = new Map<string, Buffer>();
  const frames = new Map<number, FrameView>();
  const results: { rec: WalkedRecord; res: RecordResult }[] = [];
  walked.records.forEach((r, i) => {
    mutate?.(r, i);
    let d = decs.get(r.conn);
    if (d === undefined) {
      d = new TlsDecryptor(ctx);
      decs.set(r.conn, d);
    }
    const res = d.record(r.dir, r.contentType, r.version, r.fragment, r.frame);
    results.push({ rec: r, res });
    let v = frames.get(r.frame);
    if (v === undefined) {
      v = { contentTypes: [], opaqueTypes: [], handshakeTypes: [], appData: [] };
      frames.set(r.frame, v);
    }
    v.contentTypes.push(res.contentType);
    if (d.version === TLS1_3 && r.contentType === CT_APPLICATION_DATA) v.opaqueTypes.push(r.contentType);
    const readable = res.status === RecordStatus.Plaintext || res.status === RecordStatus.Decrypted;
    if (readable && res.contentType === CT_HANDSHAKE) {
      // handshake messages may span records: a message counts in the frame that completes it
      const key = `${r.conn}/${r.dir}`;
      let b = Buffer.concat([hsBuf.get(key) ?? Buffer.alloc(0), res.data!]);
      while (b.length >= 4 && b.length >= 4 + b.readUIntBE(1, 3)) {
        v.handshakeTypes.push(b[0]);
        b = b.subarray(4 + b.readUIntBE(1, 3));
      }
      hsBuf.set(key, b);
    }
    if (res.status === RecordStatus.Decrypted && res.contentType === CT_APPLICATION_DATA && res.data!.length > 0) {
      v.appData.push(res.data!.toString('hex'));
    }
  });
  return { frames, results, decryptors: [...decs.values()] };
}
