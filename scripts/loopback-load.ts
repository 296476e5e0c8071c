// A bounded UDP load on 127.0.0.1 for the live-capture stress test and scripts/bench-capture.ts.
// The sender is a small Python program: a Node dgram socket costs about 8 µs of CPU per datagram
// (measured: 1.6 s user for 200k), Python's socket.send about 3.5 µs, mostly in the kernel, and
// the two cores this runs on are shared with the capture being measured. The receiving socket is
// bound but never read, so the kernel discards datagrams once its buffer is full and no ICMP
// "port unreachable" traffic is added. Every datagram carries a 32-bit run tag and a 32-bit
// sequence number, big-endian, so captures can be matched packet by packet. The sender stops after
// twice the planned time even if it could not send everything.

import { spawn, ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const LOAD_TAG = 0x74637077; // "tcpw"
/** Bytes of the UDP payload: tag, sequence number, padding. */
export const LOAD_PAYLOAD_LEN = 18;

const PYTHON_SENDER = String.raw`
import socket, struct, sys, time
rate, seconds, size, tag = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
sink.bind(('127.0.0.1', 0))
port = sink.getsockname()[1]
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tx.connect(('127.0.0.1', port))
print('port', port, flush=True)
if sys.stdin.readline().strip() != 'go':
    sys.exit(0)
total = int(rate * seconds)
pad = b'\0' * (size - 8)
pack = struct.Struct('>II').pack
send = tx.send
n = 0
t0 = time.monotonic()
try:
    while n < total:
        if time.monotonic() - t0 > seconds * 2:
            break  # a machine too busy to send at this rate: stop, bounded, and report what was sent
        due = min(total, int((time.monotonic() - t0) * rate))
        if due <= n:
            time.sleep(0.0002)
            continue
        while n < due:
            try:
                send(pack(tag, n) + pad)
            except OSError:
                # ENOBUFS under memory pressure: that datagram was never sent; count what was
                time.sleep(0.0001)
                continue
            n += 1
except KeyboardInterrupt:
    pass
print('sent', n, round(time.monotonic() - t0, 3), flush=True)
`;

export interface UdpLoad {
  port: number;
  /** Start sending; resolves with the number of datagrams sent and the seconds it took. */
  go(): Promise<{ sent: number; seconds: number }>;
  kill(): void;
  child: ChildProcess;
}

/** Starts the sender, bound and ready; nothing is sent until go(). */
export function prepareUdpLoad(rate: number, seconds: number, payloadLen = LOAD_PAYLOAD_LEN): Promise<UdpLoad> {
  const child = spawn('python3', ['-c', PYTHON_SENDER, String(rate), String(seconds), String(payloadLen), String(LOAD_TAG)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    let port = 0;
    let finish: ((r: { sent: number; seconds: number }) => void) | null = null;
    child.once('error', (e) => reject(new Error(`cannot start python3 for the loopback load: ${e.message}`)));
    child.once('exit', (code) => {
      if (port === 0) reject(new Error(`loopback load sender exited (${code}) before binding`));
    });
    lines.on('line', (line) => {
      const [word, a, b] = line.split(' ');
      if (word === 'port') {
        port = Number(a);
        resolve({
          port,
          child,
          go: () =>
            new Promise((done) => {
              finish = done;
              child.stdin!.write('go\n');
            }),
          kill: () => {
            if (child.exitCode === null) child.kill('SIGKILL');
          },
        });
      } else if (word === 'sent' && finish !== null) {
        finish({ sent: Number(a), seconds: Number(b) });
      }
    });
  });
}
