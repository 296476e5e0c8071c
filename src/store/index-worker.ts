// The indexing worker: reads a capture file, runs the analysis pipeline and fills the packet index
// in shared memory on the second core, so the UI thread only draws. After each batch it posts what
// changed (new chunks, table entries) and the new packet count; the UI thread mirrors it.

import { parentPort, workerData } from 'node:worker_threads';
import * as fs from 'node:fs';
import '../modules';
import { MainOptions } from '../hooks';
import { CaptureFileReader } from '../capture/file-reader';
import { PacketIndex, IndexSink, LinkEntry, AppEntry, TlsStreamInfo } from './packet-index';
import { FileIndexer } from './indexer';

export interface WorkerInput {
  path: string;
  opts: MainOptions;
}

/** One batch of changes, applied by the reader in this order. */
export interface ProgressMessage {
  t: 'progress';
  chunks: [number, SharedArrayBuffer][];
  addressChunks: [number, SharedArrayBuffer][];
  links: [number, LinkEntry][];
  apps: [number, AppEntry][];
  /** Flat triples: packet, frame number of the original ACK, count. */
  dupAcks: number[];
  tls: [number, TlsStreamInfo][];
  addressCount: number;
  streamCount: number;
  count: number;
  bytesRead: number;
  /** Timestamps carry more than microseconds (known once the first interface has been read). */
  nanosecond: boolean;
  done: boolean;
  error: string | null;
}

export interface StartMessage {
  t: 'start';
  fileBytes: number;
}

export type WorkerMessage = StartMessage | ProgressMessage | { t: 'fatal'; message: string };

class BatchSink implements IndexSink {
  chunks: [number, SharedArrayBuffer][] = [];
  addressChunks: [number, SharedArrayBuffer][] = [];
  links: [number, LinkEntry][] = [];
  apps: [number, AppEntry][] = [];
  dupAcks: number[] = [];
  tls: [number, TlsStreamInfo][] = [];
  chunk(i: number, sab: SharedArrayBuffer): void { this.chunks.push([i, sab]); }
  addressChunk(i: number, sab: SharedArrayBuffer): void { this.addressChunks.push([i, sab]); }
  link(id: number, e: LinkEntry): void { this.links.push([id, e]); }
  app(id: number, e: AppEntry): void { this.apps.push([id, e]); }
  dupAck(p: number, of: number, num: number): void { this.dupAcks.push(p, of, num); }
  tlsStream(s: number, info: TlsStreamInfo): void { this.tls.push([s, info]); }
}

// The first batch is small so the first screen of rows appears at once; later ones are sized by time.
const FIRST_BATCH = 2000;
const BATCH_MS = 40;

function run(input: WorkerInput): void {
  const port = parentPort!;
  const reader = new CaptureFileReader(input.path);
  let fileBytes = 0;
  try {
    fileBytes = fs.statSync(input.path).size;
  } catch {
    fileBytes = 0;
  }
  port.postMessage({ t: 'start', fileBytes } satisfies StartMessage);
  const index = new PacketIndex();
  let sink = new BatchSink();
  index.sink = sink;
  const indexer = new FileIndexer(reader, index, input.opts, null);
  let first = true;
  for (;;) {
    const more = indexer.step(first ? FIRST_BATCH : 1 << 30, performance.now() + BATCH_MS);
    first = false;
    const msg: ProgressMessage = {
      t: 'progress',
      chunks: sink.chunks, addressChunks: sink.addressChunks, links: sink.links, apps: sink.apps,
      dupAcks: sink.dupAcks, tls: sink.tls,
      addressCount: index.addresses.count, streamCount: index.streamCount, count: index.count,
      bytesRead: reader.position, nanosecond: reader.nanosecond, done: !more, error: indexer.error,
    };
    port.postMessage(msg);
    if (!more) break;
    sink = new BatchSink();
    index.sink = sink;
  }
  reader.close();
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'path' in workerData) {
  try {
    run(workerData as WorkerInput);
  } catch (e) {
    parentPort.postMessage({ t: 'fatal', message: (e as Error).message });
  }
}
