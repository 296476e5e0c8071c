#!/usr/bin/env python3
# A lossy link between two TAP devices, for tests that need TCP to meet loss, reordering,
# duplication and delay (kernels without netem): every Ethernet frame read from one TAP is written
# to the other after a delay, unless the seeded PRNG drops it; some are held back longer (so later
# frames overtake them) and some are sent twice. The same seed makes the same choices for the same
# sequence of frames. Only IPv4 frames are impaired: ARP must get through or nothing would.
#
# usage: impair-relay.py NAME_A NAME_B SEED LOSS REORDER DUP DELAY_MS LOG
# Creates TAP devices NAME_A and NAME_B in the current network namespace (the caller moves them into
# their namespaces), prints "ready" on stdout, relays until SIGTERM/SIGINT or stdin closes, then
# writes a JSON summary of what it did to LOG (a dropped TCP segment's
# event also names it: IPv4 id, raw sequence number, payload length). The devices vanish when the process exits.

import fcntl, heapq, json, os, random, select, signal, struct, sys, time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETHERTYPE_IPV4 = 0x0800
# Extra delay of a reordered frame: long enough for a few later frames to overtake it at the rates
# the tests send.
REORDER_EXTRA = (0.004, 0.012)
MAX_FRAME = 65536


def open_tap(name):
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def tcp_identity(frame):
    # What names a dropped TCP segment in a capture: IPv4 identification, raw sequence number, payload length.
    if len(frame) < 34 or frame[23] != 6:
        return []
    ihl = (frame[14] & 0x0F) * 4
    if len(frame) < 14 + ihl + 20:
        return []
    total = struct.unpack_from('!H', frame, 16)[0]
    tcp = 14 + ihl
    doff = (frame[tcp + 12] >> 4) * 4
    return [struct.unpack_from('!H', frame, 18)[0], struct.unpack_from('!I', frame, tcp + 4)[0], total - ihl - doff]


def main():
    name_a, name_b, seed, loss, reorder, dup, delay_ms, log_path = sys.argv[1:9]
    loss, reorder, dup = float(loss), float(reorder), float(dup)
    delay = float(delay_ms) / 1000
    rng = random.Random(int(seed))
    fa, fb = open_tap(name_a), open_tap(name_b)
    peer = {fa: fb, fb: fa}
    stats = {'frames': 0, 'ipv4': 0, 'dropped': 0, 'reordered': 0, 'duplicated': 0, 'written': 0, 'write_errors': 0}
    events = []
    queue = []
    order = 0
    stopping = [False]

    def stop(*_):
        stopping[0] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print('ready', flush=True)
    deadline_idle = None
    while True:
        now = time.monotonic()
        if stopping[0]:
            # Deliver what is in flight, then stop.
            if not queue or deadline_idle is not None and now > deadline_idle:
                break
            if deadline_idle is None:
                deadline_idle = now + 0.5
        timeout = 0.05
        if queue:
            timeout = max(0.0, min(timeout, queue[0][0] - now))
        try:
            readable, _, _ = select.select([fa, fb, sys.stdin] if not stopping[0] else [fa, fb], [], [], timeout)
        except InterruptedError:
            continue
        for fd in readable:
            if fd is sys.stdin:
                if not sys.stdin.buffer.read1(4096):
                    stopping[0] = True
                continue
            # Drain what the device holds, bounded so the other side gets its turn.
            for _ in range(64):
                try:
                    frame = os.read(fd, MAX_FRAME)
                except BlockingIOError:
                    break
                if not frame:
                    break
                stats['frames'] += 1
                now = time.monotonic()
                out = peer[fd]
                ipv4 = len(frame) >= 14 and struct.unpack_from('!H', frame, 12)[0] == ETHERTYPE_IPV4
                if not ipv4:
                    heapq.heappush(queue, (now, order, out, frame)); order += 1
                    continue
                stats['ipv4'] += 1
                n = stats['ipv4']
                side = 'a>b' if fd == fa else 'b>a'
                r = rng.random()
                if r < loss:
                    stats['dropped'] += 1
                    events.append([n, side, 'drop'] + tcp_identity(frame))
                    continue
                at = now + delay
                if r < loss + reorder:
                    at += rng.uniform(*REORDER_EXTRA)
                    stats['reordered'] += 1
                    events.append([n, side, 'reorder'])
                heapq.heappush(queue, (at, order, out, frame)); order += 1
                if rng.random() < dup:
                    stats['duplicated'] += 1
                    events.append([n, side, 'duplicate'])
                    heapq.heappush(queue, (at + 0.0002, order, out, frame)); order += 1
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                os.write(out, frame)
                stats['written'] += 1
            except OSError:
                stats['write_errors'] += 1
    with open(log_path, 'w') as f:
        json.dump({'seed': int(seed), 'loss': loss, 'reorder': reorder, 'dup': dup, 'delay_ms': float(delay_ms), 'stats': stats, 'events': events}, f)


main()
