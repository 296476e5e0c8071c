// The UI's side of its capture process (capture-child.ts): starts it on the spool file, waits until
// it captures (or says in one line why it cannot), follows its progress messages, and stops it.
// The capture process is tcpwatch itself (this Node binary, the compiled capture-child.js): nothing
// else to install, and the same clock, lengths and -w writer as headless capture.

import { spawn, ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { UsageError } from '../errors';
import type { CaptureChildMessage, CaptureChildOptions, CaptureCounts, CaptureWriteFailure } from './capture-child';
import { SPOOL_HEADER_LEN } from './spool';
import { REMOTE_START_TIMEOUT_MS } from './remote';

/** How long the capture process may take to open the device (loading cap, allocating the ring). */
const START_TIMEOUT_MS = 20_000;
/** How long a stop may take before the capture process is killed (it only flushes two files). */
const STOP_TIMEOUT_MS = 10_000;

export class CaptureProcess {
  counts: CaptureCounts = { spoolEnd: SPOOL_HEADER_LEN, frames: 0, received: 0, kernel: null, written: 0, writtenTo: '', perInterface: null };
  linkType = 0;
  snaplen = 0;
  kernelStats = false;
  /** Set once the capture has ended, by itself or by stop(). */
  ended = false;
  writeFailure: CaptureWriteFailure | null = null;
  /** Why the capture ended other than by stop(), -c or a -w failure (it crashed, the spool failed). */
  error: string | null = null;
  /** Called on every progress message and once when the capture ends. */
  onProgress: () => void = () => {};
  private stderr = '';
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (this.stderr.length < 8192) this.stderr += d;
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Starts capturing into the spool file `spoolFd`; resolves once the device is open (root given
   * up, the -w file created). A capture that cannot start is a UsageError with its one line.
   */
  static async start(opts: CaptureChildOptions, spoolFd: number): Promise<CaptureProcess> {
    const script = path.join(__dirname, 'capture-child.js');
    // stdin and stdout unused; stderr collected (a crash is reported in the UI, not drawn over it).
    const child = spawn(process.execPath, [script, JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'pipe', spoolFd, 'ipc'] });
    const cp = new CaptureProcess(child);
    await new Promise<void>((resolve, reject) => {
      // A remote capture first connects and authenticates (its own timeout says why it failed).
      const remotes = opts.interfaces !== undefined ? opts.interfaces.filter((i) => i.remote !== null).length : opts.remote !== undefined ? 1 : 0;
      const startMs = START_TIMEOUT_MS + remotes * REMOTE_START_TIMEOUT_MS;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new UsageError(`cannot capture on ${opts.device}: the capture process did not start within ${startMs / 1000} s`));
      }, startMs);
      const onExit = (code: number | null, signal: string | null): void => {
        clearTimeout(timer);
        reject(new UsageError(`cannot capture on ${opts.device}: the capture process ended (${signal ?? `exit ${code}`})${cp.lastErrorLine()}`));
      };
      child.once('exit', onExit);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new UsageError(`cannot start the capture process: ${e.message}`));
      });
      child.on('message', (m: CaptureChildMessage) => {
        if (m.t === 'ready') {
          clearTimeout(timer);
          child.off('exit', onExit);
          cp.linkType = m.linkType;
          cp.snaplen = m.snaplen;
          cp.kernelStats = m.kernelStats;
          cp.listen();
          resolve();
        } else if (m.t === 'fatal') {
          clearTimeout(timer);
          child.off('exit', onExit);
          reject(new UsageError(m.message));
        }
      });
    });
    return cp;
  }

  private listen(): void {
    this.child.on('message', (m: CaptureChildMessage) => {
      if (m.t === 'progress') {
        if (this.ended) return;
        this.counts = { spoolEnd: m.spoolEnd, frames: m.frames, received: m.received, kernel: m.kernel, written: m.written, writtenTo: m.writtenTo, perInterface: m.perInterface };
        this.onProgress();
      } else if (m.t === 'end') {
        this.counts = { spoolEnd: m.spoolEnd, frames: m.frames, received: m.received, kernel: m.kernel, written: m.written, writtenTo: m.writtenTo, perInterface: m.perInterface };
        this.writeFailure = m.writeFailure;
        this.error = m.error;
        this.finish();
      }
    });
    this.child.once('exit', (code, signal) => {
      if (!this.ended) {
        this.error ??= `the capture process ended (${signal ?? `exit ${code}`})${this.lastErrorLine()}`;
        this.finish();
      }
    });
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.onProgress();
  }

  private lastErrorLine(): string {
    const lines = this.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^at /.test(l));
    return lines.length > 0 ? `: ${lines[lines.length - 1]}` : '';
  }

  /** Stops capturing; resolves once the spool and the -w file are complete and the process has exited. */
  async stop(): Promise<void> {
    if (!this.ended && this.child.connected) {
      try {
        this.child.send({ t: 'stop' });
      } catch {
        // already going
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)));
    const tooLate = await Promise.race([this.exited.then(() => false), late]);
    clearTimeout(timer);
    if (tooLate) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    this.finish();
  }
}
