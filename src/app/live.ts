// `tcpwatch -i IFACE [filter]` without the UI, and `tcpwatch -D`: live frames go through the same
// Pipeline and sinks as a file does. Ctrl-C, SIGTERM and SIGHUP (a closed terminal; tcpdump ends on
// it too) stop cleanly: the -w file is flushed and closed, and one summary line on stderr says what
// was captured, written and (where it can be known) dropped, as tcpdump's closing lines do.
//
// A -w file that cannot be written is reported at once: at start (bad path, or a device that takes
// nothing, such as /dev/full) as a usage error, exit status 2; when the disk fills up mid-capture,
// the capture stops, the file is cut back to its last whole packet, and one line names the file,
// the error and how many packets it holds, with exit status 1 (tcpdump's status for a write error:
// the command line was right, the run failed, and scripts can tell the two apart).

import * as fs from 'node:fs';
import { addCommands, hooks, makeAnalyzers, MainOptions, registerStage } from '../hooks';
import { makeSink } from './sinks';
import { Statistics } from './statistics';
import { Pipeline } from '../pipeline';
import { OutputBuffer } from '../output/stdout';
import { sanitizeText } from '../output/sanitize';
import { UsageError, EXIT_RUN_FAILED } from '../errors';
import { writeErrorForUser, CaptureWriter, CaptureWriteError, formatNamed } from '../capture/file-writer';
import { openCaptureOutput, parseAutostopOptions, parseRingOptions, RingWriter, RING_TICK_MS } from '../capture/ring-writer';
import { liveCaptureAccount, dropPrivilegesOrExplain, explainWriteAs } from '../capture/privileges';
import { CapturedFrame } from '../capture/frame';
import { LiveCapture, resolveCaptureDevice, DEFAULT_BUFFER_MIB } from '../capture/live';
import { loadCap, linkTypeName } from '../capture/cap-binding';
import { captureInterfaces, formatInterfaceList, CaptureInterface } from '../capture/interfaces';
import { DEFAULT_MEMORY_BUDGET_MIB } from '../capture/spill';
import { RemoteCapture, isRemoteInterface, parseRemoteTarget, listRemoteInterfaces, remoteCaptureOptions, COUNTS_SIGNAL } from '../capture/remote';
import { MergedCapture, mergedInterfaces } from '../capture/merge';
import { exitAfterHangup } from '../hangup';
import { DEFAULT_STATE_BUDGET_MIB, setDefaultStateBudget } from '../analysis/streams';
import { captureSummary, stateBudgetBytes } from '../capture/run-facts';

// Live timestamps are good to microseconds at best (native-notes/cap.md); show six digits, as
// tshark does for live captures.
const LIVE_TIME_DIGITS = 6;
const WRITE_FLUSH_MS = 1000;
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function parseMiB(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`invalid memory budget "${v}": expected a positive whole number of MiB`);
  return Number(v);
}

addCommands((program) => {
  program.option('--memory-budget <MiB>', `live capture in the UI: MiB of captured frames kept in memory to show them again (every frame goes to a temporary file as it is captured) (default ${DEFAULT_MEMORY_BUDGET_MIB})`, parseMiB);
  program.option('--remote <ssh://[user@]host[:port]>', 'with -D: list the interfaces of that host (tcpwatch -i ssh://host/IFACE captures on one)');
  program.option('--remote-sudo', 'remote interfaces: run the remote tcpdump under sudo -n');
  program.option('--ssh-command <cmd>', 'remote interfaces: the ssh client and its options, as rsync -e (default: ssh -o BatchMode=yes)');
  program.option('--state-budget <MiB>', `MiB of TCP conversation state (files and live): past it the least recently active connections are forgotten, counted on stderr (default ${DEFAULT_STATE_BUDGET_MIB})`, parseMiB);
});

// Every run that analyses makes its analysis stages before its pipeline, whichever way it is started
// (-r, live, the UI): this stage makes no analyzer, it sets the ceiling of the run's TCP state.
registerStage({
  name: 'tcp-state-budget', after: [],
  make: (opts) => {
    setDefaultStateBudget(stateBudgetBytes(opts));
    return null;
  },
});

async function listInterfaces(opts: MainOptions): Promise<void> {
  if (opts.remote !== undefined) {
    const target = parseRemoteTarget(opts.remote, false);
    if (target.iface !== '') throw new UsageError(`--remote ${opts.remote}: name the host only (ssh://[user@]host[:port]); -D lists its interfaces`);
    const lines = await listRemoteInterfaces(target, opts.remoteSudo === true, opts.sshCommand);
    fs.writeSync(1, lines.map((l) => sanitizeText(l) + '\n').join(''));
    return;
  }
  const cap = loadCap();
  const list = captureInterfaces(cap.Cap.deviceList());
  const text = formatInterfaceList(list).map((l) => sanitizeText(l) + '\n').join('');
  fs.writeSync(1, text);
}

/** Packets an interface counted, as libpcap would see them: on loopback each packet once, elsewhere in and out. */
function interfacePackets(iface: CaptureInterface): number | null {
  try {
    const dir = `/sys/class/net/${iface.name}/statistics`;
    const rx = Number(fs.readFileSync(`${dir}/rx_packets`, 'utf8'));
    if (iface.loopback) return rx;
    return rx + Number(fs.readFileSync(`${dir}/tx_packets`, 'utf8'));
  } catch {
    return null;
  }
}

async function runLive(opts: MainOptions, captureFilter: string | undefined): Promise<void> {
  const account = liveCaptureAccount(opts.user);
  const names = opts.interfaces ?? (opts.interface !== undefined ? [opts.interface] : []);
  const many = names.length > 1 ? mergedInterfaces(names, captureFilter ?? '', opts.snaplen, opts.bufferSize, (n) => remoteCaptureOptions(opts, captureFilter ?? '', n)) : null;
  const remote = many === null && isRemoteInterface(opts.interface) ? remoteCaptureOptions(opts, captureFilter ?? '') : null;
  // A remote capture needs no local device, nor root: ssh runs as the user who started tcpwatch
  // (their keys, their known_hosts), and this process gives up root once it listens, as for a local one.
  const iface: CaptureInterface | null = remote === null && many === null ? resolveCaptureDevice(opts.interface).iface : null;
  const out = new OutputBuffer(1);
  const sink = makeSink(opts, out, () => LIVE_TIME_DIGITS);
  if (opts.displayFilter !== undefined && !hooks.compileFilter) throw new UsageError('display filters are not available in this build');
  const filter = opts.displayFilter !== undefined && hooks.compileFilter ? hooks.compileFilter(opts.displayFilter) : null;
  if (iface !== null && !opts.promiscuous && !iface.loopback && iface.name !== 'any') {
    process.stderr.write(`tcpwatch: -p cannot be honoured: the cap module always opens ${sanitizeText(iface.name)} in promiscuous mode\n`);
  }

  // tshark refuses the same: the file holds what was captured, and a display filter decides only
  // what is printed, so the two cannot be combined without the file depending on analysis.
  if (opts.write !== undefined && opts.displayFilter !== undefined) {
    throw new UsageError("display filters aren't supported when capturing and saving the captured packets (-Y with -w): filter the file afterwards with -r FILE -Y FILTER -w OUT");
  }

  const ring = parseRingOptions(opts.ringBuffer ?? []);
  const autostop = parseAutostopOptions(opts.autostop ?? []);
  let pipeline: Pipeline | null = null;
  let writer: CaptureWriter | RingWriter | null = null;
  let failure: unknown = null;
  let stopCapture: () => void = () => {};
  // -a packets:N is dumpcap's -c N; given both, the smaller stops the capture.
  const maxFrames = Math.min(opts.count ?? Infinity, autostop?.packets ?? Infinity) === Infinity ? 0 : Math.min(opts.count ?? Infinity, autostop?.packets ?? Infinity);
  let captured = 0;
  let countReached = false;
  // Whether the frame being handled is one of the capture's (a remote tcpdump still flushes frames
  // after -c is reached: they are neither written nor shown).
  let taken = false;
  // Every frame is written before it is decoded, and whether or not analysis keeps up (LiveCapture
  // skips analysis, never this, when it falls behind): no packet stream can choose what the file misses.
  const onCaptured = (frame: CapturedFrame): void => {
    taken = !countReached;
    if (countReached) return;
    captured++;
    if (maxFrames > 0 && captured >= maxFrames) countReached = true;
    if (writer === null) return;
    try {
      writer.write(frame);
    } catch (e) {
      failure = e;
      stopCapture();
      return;
    }
    // -a filesize or -a files reached with this frame: it is the last one.
    if (writer instanceof RingWriter && writer.stopWanted) countReached = true;
  };
  const onFrame = (frame: CapturedFrame): void => {
    if (!taken) return;
    try {
      pipeline!.handle(frame);
      if (countReached || out.closed) stopCapture();
    } catch (e) {
      failure = e;
      stopCapture();
    }
  };
  const bpf = captureFilter ?? '';
  const capture: LiveCapture | RemoteCapture | MergedCapture = iface !== null
    ? LiveCapture.open({ device: iface.name, filter: bpf, snaplen: opts.snaplen, bufferSizeMiB: opts.bufferSize, loopback: iface.loopback }, onCaptured, onFrame)
    : many !== null ? await MergedCapture.open(many, onCaptured, onFrame) : await RemoteCapture.open(remote!, onCaptured, onFrame);
  // Remote and merged captures end later than asked: frames still on their way are kept.
  const finishesLater = capture instanceof RemoteCapture || capture instanceof MergedCapture;
  // As tcpdump: give up root once the device is open, before any output file is created and
  // before the first packet is parsed (cap delivers nothing until this turn of the event loop ends).
  try {
    dropPrivilegesOrExplain(account);
  } catch (e) {
    capture.close();
    throw e;
  }
  if (opts.write !== undefined) {
    try {
      writer = openCaptureOutput(opts.write, capture.linkType, formatNamed(opts.writeFormat), ring, autostop, capture instanceof MergedCapture ? capture.interfaces : undefined);
    } catch (e) {
      capture.close();
      throw explainWriteAs(e, account, opts.user);
    }
  }
  // -z: as for a file, over every frame analysed, printed when the capture ends (tshark does the same live).
  const statistics = opts.statistics?.length ? new Statistics(opts.statistics) : null;
  const analyzers = makeAnalyzers(opts, null);
  if (statistics !== null) analyzers.push(statistics);
  pipeline = new Pipeline({ sink, filter, writer: null, maxFrames: 0, analyzers });
  const countedBefore = bpf === '' && iface !== null ? interfacePackets(iface) : null;

  let hungUp = false;
  await new Promise<void>((resolve, reject) => {
    let stopped = false;
    const flushTimer = setInterval(() => {
      try {
        writer?.flush();
      } catch (e) {
        failure = e;
        stopCapture();
      }
    }, WRITE_FLUSH_MS);
    flushTimer.unref();
    // -b duration: a quiet link still gets a new file on time.
    const ringTimer = writer instanceof RingWriter && ring?.duration !== undefined ? setInterval(() => {
      try {
        (writer as RingWriter).tick();
        if ((writer as RingWriter).stopWanted) stopCapture();
      } catch (e) {
        failure = e;
        stopCapture();
      }
    }, RING_TICK_MS) : null;
    const autostopTimer = autostop?.duration !== undefined ? setTimeout(() => stopCapture(), autostop.duration) : null;
    const summary = (countedAfter: number | null): string => captureSummary({
      // A remote tcpdump may still flush frames after -c: they arrived, but were not taken.
      received: finishesLater ? captured : capture.framesReceived,
      skipped: capture.framesSkipped,
      written: writer?.framesWritten ?? null,
      path: writer instanceof RingWriter ? writer.describe() : opts.write,
      kernel: capture.kernelStats(),
      interfaceDrops: countedBefore !== null && countedAfter !== null ? Math.max(0, countedAfter - countedBefore - capture.framesReceived) : null,
      // A remote capture's drops are what its tcpdump counted, said when it ended.
      filtered: bpf !== '' && iface !== null,
    });
    // The counts so far on request, as tcpdump prints them on SIGUSR1: a remote tcpwatch is asked
    // every second (src/capture/remote.ts). SIGUSR2, since Node opens its inspector on SIGUSR1.
    const onCountsWanted = (): void => {
      process.stderr.write(summary(null) + '\n');
    };
    process.on(COUNTS_SIGNAL, onCountsWanted);
    const onSignal = (sig: NodeJS.Signals): void => {
      if (sig === 'SIGHUP') {
        // The terminal may be gone: writes to it fail with EIO, and there is nobody left to tell.
        hungUp = true;
        process.stderr.on('error', () => {});
      }
      stopCapture();
    };
    stopCapture = () => {
      if (stopped) return;
      stopped = true;
      capture.close();
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
      process.off(COUNTS_SIGNAL, onCountsWanted);
      // A remote tcpdump still flushes what it holds and then prints the kernel's counts.
      if (finishesLater) void capture.closed.then(finish);
      else finish();
    };
    const finish = (): void => {
      clearInterval(flushTimer);
      if (ringTimer !== null) clearInterval(ringTimer);
      if (autostopTimer !== null) clearTimeout(autostopTimer);
      const countedAfter = countedBefore === null || iface === null ? null : interfacePackets(iface);
      try {
        pipeline!.end();
        if (statistics !== null && !out.closed) {
          out.write(statistics.text());
          out.flush();
        }
      } catch (e) {
        failure ??= e;
      }
      try {
        // Already closed by pipeline.end() unless the sink's end threw first (output to a closed
        // terminal): the -w file is closed whole either way.
        writer?.close();
      } catch (e) {
        failure ??= e;
      }
      if (hungUp && (failure as NodeJS.ErrnoException | null)?.code === 'EIO') failure = null;
      process.stderr.write(summary(countedAfter) + '\n');
      if (capture instanceof MergedCapture) process.stderr.write(`per interface: ${sanitizeText(capture.perInterface())}\n`);
      const remoteFailure = finishesLater ? capture.failure : null;
      if (remoteFailure !== null && !(failure instanceof CaptureWriteError)) {
        // The file (flushed and closed above) ends with the last whole packet that arrived.
        const n = writer?.framesWritten;
        process.stderr.write(`tcpwatch: ${sanitizeText(remoteFailure)}${n !== undefined ? `; ${sanitizeText(opts.write!)} holds the ${n} packet${n === 1 ? '' : 's'} received, each whole` : ''}\n`);
        process.exitCode = EXIT_RUN_FAILED;
        resolve();
      } else if (failure instanceof CaptureWriteError) {
        const n = failure.framesInFile;
        process.stderr.write(`tcpwatch: ${sanitizeText(failure.message)}; capture stopped, the file holds the first ${n} packet${n === 1 ? '' : 's'}\n`);
        process.exitCode = EXIT_RUN_FAILED;
        resolve();
      } else if ((failure as NodeJS.ErrnoException | null)?.syscall === 'write') {
        // -w failures are CaptureWriteErrors; this is the printed output (a terminal that went away)
        process.stderr.write(`tcpwatch: standard output: cannot write (${(failure as NodeJS.ErrnoException).code}); capture stopped\n`);
        process.exitCode = EXIT_RUN_FAILED;
        resolve();
      } else if (failure !== null) {
        const err = failure as NodeJS.ErrnoException;
        reject(err.code !== undefined && opts.write !== undefined ? writeErrorForUser(opts.write, err) : err);
      } else {
        resolve();
      }
    };
    for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    // Only now: whoever stops the capture on seeing this line finds it ready to stop cleanly.
    if (capture instanceof MergedCapture) {
      const list = capture.sources.map((s, i) => `${sanitizeText(capture.names[i])} (${linkTypeName(s.linkType)})`).join(', ');
      process.stderr.write(`listening on ${list}, snapshot length ${capture.snaplen} bytes\n`);
      // One interface failing (a connection dropped) stops them all, as dumpcap does.
      capture.setEndHandler(() => stopCapture());
    } else if (capture instanceof RemoteCapture) {
      process.stderr.write(`listening on ${sanitizeText(capture.device)}, link-type ${linkTypeName(capture.linkType)}, snapshot length ${capture.snaplen} bytes\n`);
      // ssh ended by itself (the connection dropped, the remote tcpdump failed): stop as for Ctrl-C.
      capture.setEndHandler(() => stopCapture());
    } else {
      process.stderr.write(
        `listening on ${sanitizeText(iface!.name)}, link-type ${linkTypeName(capture.linkType)}, snapshot length ${capture.snaplen} bytes, ` +
          `buffer ${opts.bufferSize ?? DEFAULT_BUFFER_MIB} MiB\n`,
      );
    }
    capture.setBatchEndHandler(() => {
      // -c reached on a frame whose analysis was skipped: the capture ends here instead.
      if (countReached) {
        stopCapture();
        return;
      }
      try {
        if (!out.closed) out.flush();
      } catch (e) {
        failure ??= e;
        stopCapture();
        return;
      }
      if (out.closed) stopCapture();
    });
    if (finishesLater) capture.begin();
  });
  // Node 20 would abort (status 134) restoring the terminal that hung up: leave around it.
  if (hungUp) exitAfterHangup(typeof process.exitCode === 'number' ? process.exitCode : 0);
}

hooks.live = runLive;
hooks.listInterfaces = listInterfaces;
