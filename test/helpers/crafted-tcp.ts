// Small crafted TCP conversations for the UI tests to show (what the terminal then shows is read
// with test/helpers/tmux.ts).

import { openCaptureWriter } from '../../src/capture/file-writer';
import { CapturedFrame } from '../../src/capture/frame';
import { TH_SYN, TH_ACK, TH_PSH, TH_FIN, TH_RST } from '../../src/decode/tcp';

export function ipv4Tcp(src: number[], dst: number[], sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer): Buffer {
  const ipLen = 20 + 20 + payload.length;
  const b = Buffer.alloc(14 + ipLen);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(ipLen, ip + 2);
  b[ip + 8] = 64;
  b[ip + 9] = 6;
  Buffer.from(src).copy(b, ip + 12);
  Buffer.from(dst).copy(b, ip + 16);
  const t = ip + 20;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b.writeUInt32BE(ack >>> 0, t + 8);
  b.writeUInt16BE((5 << 12) | flags, t + 12);
  b.writeUInt16BE(65535, t + 14);
  payload.copy(b, t + 20);
  return b;
}

/** A whole TCP conversation carrying `payload` from client to server; with `reset`, a final RST. */
export function writeConversation(file: string, payload: Buffer, reset: boolean): void {
  const C = [10, 0, 0, 1], S = [10, 0, 0, 2];
  const cp = 40000, sp = 80, ci = 1000, si = 5000, n = payload.length;
  const none = Buffer.alloc(0);
  const frames = [
    ipv4Tcp(C, S, cp, sp, ci, 0, TH_SYN, none),
    ipv4Tcp(S, C, sp, cp, si, ci + 1, TH_SYN | TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 1, si + 1, TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 1, si + 1, TH_PSH | TH_ACK, payload),
    ipv4Tcp(S, C, sp, cp, si + 1, ci + 1 + n, TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 1 + n, si + 1, TH_FIN | TH_ACK, none),
    ipv4Tcp(S, C, sp, cp, si + 1, ci + 2 + n, TH_FIN | TH_ACK, none),
    ipv4Tcp(C, S, cp, sp, ci + 2 + n, si + 2, TH_ACK, none),
  ];
  if (reset) frames.push(ipv4Tcp(C, S, cp, sp, ci + 2 + n, 0, TH_RST, none));
  writeEthernetFrames(file, frames, 100000);
}

/** Ethernet frames into a pcap file, `stepNs` apart from 1700000000 s. */
export function writeEthernetFrames(file: string, frames: Buffer[], stepNs: number): void {
  const w = openCaptureWriter(file, 1);
  const f = new CapturedFrame();
  frames.forEach((b, k) => {
    f.buf = b;
    f.off = 0;
    f.capLen = b.length;
    f.origLen = b.length;
    f.tsSec = 1700000000;
    f.tsNsec = k * stepNs;
    f.linkType = 1;
    w.write(f);
  });
  w.close();
}
