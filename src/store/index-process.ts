// The indexing process: reads a capture file, runs the analysis pipeline and fills a packet index
// on the second core, then hands the new rows and table entries of every batch to the UI process:
// through the ring file (fd 4) when the UI made one, announced on the pipe (fd 3)
// (src/store/index-pipe.ts describes both).
// A process rather than a thread: analysis keeps per-connection state that can reach hundreds of
// megabytes on a big file, and when a process exits all of it goes back to the system, where a
// thread's allocator would keep much of it in the UI process for good.

import * as fs from 'node:fs';
import '../packet-modules';
import { settleBeforeExit } from '../process-exit';
import { MainOptions } from '../hooks';
import { CaptureFileReader } from '../capture/file-reader';
import { applyDecodeAs } from '../decode/decode-as';
import { setDefaultStateBudget } from '../analysis/streams';
import { stateBudgetBytes } from '../capture/run-facts';
import { AddressTable } from './addresses';
import { PacketIndex, IndexSink, LinkEntry, AppEntry, TlsStreamInfo } from './packet-index';
import { FileIndexer } from './indexer';
import { CHUNK_BITS, CHUNK_SIZE } from './columns';
import {
  INDEX_FD, IndexMessage,
  MSG_ROWS, MSG_ROWS_AT, MSG_AT, MSG_ADDRESSES, MSG_JSON, MSG_VERDICTS, MSG_TLS_NAMES, MSG_TLS_STREAMS, MSG_DUP_ACKS, RING_FD,
  RingWriter, ringMaxBody,
} from './index-pipe';

/** Table entries of one batch; Dup ACKs and TLS streams as numbers (they can come by the ten thousand). */
class BatchSink implements IndexSink {
  links: [number, LinkEntry][] = [];
  apps: [number, AppEntry][] = [];
  dupAcks: number[] = [];
  tlsStreams: number[] = [];
  link(id: number, e: LinkEntry): void { this.links.push([id, e]); }
  app(id: number, e: AppEntry): void { this.apps.push([id, e]); }
  dupAck(p: number, of: number, num: number): void { this.dupAcks.push(p, of, num); }
  tlsStream(s: number, _info: TlsStreamInfo): void { this.tlsStreams.push(s); }
}

// The first batch is small so the rows after the UI's own preview come at once; later ones by time.
const FIRST_BATCH = 2000;
const BATCH_MS = 40;

/** Bodies go to the ring file when the UI made one (see src/store/index-pipe.ts). */
let ring: RingWriter | null = null;

function sendOnPipe(type: number, parts: Uint8Array[]): void {
  let len = 1;
  for (const p of parts) len += p.length;
  const head = Buffer.alloc(5);
  head.writeUInt32LE(len, 0);
  head[4] = type;
  for (const b of [head, ...parts]) {
    let off = 0;
    while (off < b.length) off += fs.writeSync(INDEX_FD, b, off, b.length - off);
  }
}

function send(type: number, parts: Uint8Array[]): void {
  let len = 0;
  for (const p of parts) len += p.length;
  if (ring === null || len > ringMaxBody(ring.size)) {
    sendOnPipe(type, parts);
    return;
  }
  const notice = Buffer.alloc(13);
  notice[0] = type;
  notice.writeUInt32LE(len, 1);
  notice.writeDoubleLE(ring.writeBody(parts, len), 5);
  sendOnPipe(MSG_AT, [notice]);
}

function sendRows(index: PacketIndex, ci: number, from: number, to: number): void {
  if (ring === null) {
    sendOnPipe(MSG_ROWS, [u32s(ci, from, to), ...index.rowBytes(ci, from, to)]);
    return;
  }
  for (let a = from; a < to;) {
    const b = Math.min(to, a + ring.maxRows);
    const notice = Buffer.alloc(20);
    notice.writeUInt32LE(ci, 0);
    notice.writeUInt32LE(a, 4);
    notice.writeUInt32LE(b, 8);
    notice.writeDoubleLE(ring.writeRows(index.chunks[ci], a, b), 12);
    sendOnPipe(MSG_ROWS_AT, [notice]);
    a = b;
  }
}

function sendJson(m: IndexMessage): void {
  send(MSG_JSON, [Buffer.from(JSON.stringify(m))]);
}

function u32s(...v: number[]): Buffer {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32LE(x, 4 * i));
  return b;
}

function run(file: string, opts: MainOptions): void {
  // The UI checked the -d rules (and D's) before it started this process.
  const decodeAs = applyDecodeAs(opts.decodeAs ?? []);
  if (decodeAs.error !== undefined) throw new Error(decodeAs.error);
  // --state-budget holds here as headless: this process keeps the analysis state.
  setDefaultStateBudget(stateBudgetBytes(opts));
  const reader = new CaptureFileReader(file);
  let fileBytes = 0;
  try {
    fileBytes = fs.statSync(file).size;
  } catch {
    fileBytes = 0;
  }
  sendJson({ t: 'start', fileBytes });
  const index = new PacketIndex();
  let sink = new BatchSink();
  index.sink = sink;
  const indexer = new FileIndexer(reader, index, opts, null);
  indexer.indexer.mirrorVerdicts = false; // the UI keeps them
  let sentRows = 0, sentAddresses = 1, sentNames = 1;
  let first = true;
  for (;;) {
    const more = indexer.step(first ? FIRST_BATCH : 1 << 30, performance.now() + BATCH_MS);
    first = false;
    for (let from = sentRows; from < index.count;) {
      const ci = from >>> CHUNK_BITS;
      const to = Math.min(index.count, (ci + 1) * CHUNK_SIZE);
      const base = ci * CHUNK_SIZE;
      sendRows(index, ci, from - base, to - base);
      from = to;
    }
    sentRows = index.count;
    // Rows once sent are not read here again: a finished chunk is filled anew with later rows.
    index.recycleChunksBefore(sentRows >>> CHUNK_BITS);
    const a = index.addresses;
    for (let from = sentAddresses; from < a.count;) {
      const to = Math.min(a.count, AddressTable.chunkEnd(from));
      send(MSG_ADDRESSES, [u32s(from), a.entryBytes(from, to)]);
      from = to;
    }
    sentAddresses = a.count;
    const v = indexer.indexer.syncVerdicts();
    if (v.length > 0) send(MSG_VERDICTS, [new Uint8Array(v.buffer, v.byteOffset, v.byteLength)]);
    const tls = index.tlsStreams;
    if (tls.stringCount > sentNames) {
      send(MSG_TLS_NAMES, [u32s(sentNames), Buffer.from(JSON.stringify(tls.stringsFrom(sentNames)))]);
      sentNames = tls.stringCount;
    }
    if (sink.tlsStreams.length > 0) {
      const ids = new Uint32Array(3 * sink.tlsStreams.length);
      sink.tlsStreams.forEach((st, k) => {
        ids[3 * k] = st;
        ids[3 * k + 1] = tls.sniIdOf(st);
        ids[3 * k + 2] = tls.versionSlotOf(st);
      });
      send(MSG_TLS_STREAMS, [new Uint8Array(ids.buffer)]);
    }
    if (sink.dupAcks.length > 0) send(MSG_DUP_ACKS, [new Uint8Array(Uint32Array.from(sink.dupAcks).buffer)]);
    sendJson({
      t: 'progress',
      links: sink.links, apps: sink.apps,
      streamCount: index.streamCount, count: index.count,
      bytesRead: reader.position, nanosecond: reader.nanosecond, done: !more, error: indexer.error,
    });
    if (!more) break;
    sink = new BatchSink();
    index.sink = sink;
  }
  // The count of connections forgotten at the ceiling, on this process's stderr as headless.
  indexer.indexer.pipeline.end();
  reader.close();
}

if (require.main === module) {
  const [file, optsJson, via] = process.argv.slice(2);
  try {
    // "ring:SIZE": the UI made a ring file of SIZE bytes; acknowledgements come on standard input.
    const m = /^ring:(\d+)$/.exec(via ?? '');
    if (m !== null) ring = new RingWriter(RING_FD, 0, Number(m[1]));
    run(file, JSON.parse(optsJson) as MainOptions);
    void settleBeforeExit();
  } catch (e) {
    // A closed pipe means the UI has gone: nothing to report to.
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') {
      try {
        sendJson({ t: 'fatal', message: (e as Error).message });
      } catch {
        // the UI has gone
      }
    }
    process.exitCode = 1;
  }
}
