// A counter tree as Wireshark's stats_tree keeps one (tshark's -z http,tree, dns,tree, ip_hosts,tree
// …): named nodes under named parents, each with a count, optionally a total, minimum and maximum of
// the values it was given, and the busiest window of its events (the burst rate). Nodes are found
// by name the way stats_tree finds them — in the parent's own index when the parent keeps one,
// else in the tree-wide index of nodes created as parents — so that a tree built by the same calls
// comes out with the same nodes and counts. It grows with the distinct names the packets give,
// never with the packets, and stops growing at MAX_NODES.

/** Nodes kept per tree; past it a name never seen is counted in `dropped` instead of growing the tree. */
export const MAX_NODES = 1_000_000;

/** Wireshark's statistics.st_burst_resolution and st_burst_windowlen defaults, in milliseconds. */
export const BURST_RESOLUTION_MS = 5;
export const BURST_WINDOW_MS = 100;
const BURST_BUCKETS = BURST_WINDOW_MS / BURST_RESOLUTION_MS;

/** A node sorted before its siblings whatever its count (stats_tree's ST_FLG_SORT_TOP). */
export const SORT_TOP = 1;

export class StatNode {
  counter = 0;
  /** Sum, least and greatest of the values given (an average node), as integers or as C floats. */
  total = 0;
  min = Infinity;
  max = -Infinity;
  averaged = false;
  flags = 0;
  readonly children: StatNode[] = [];
  /** The node's own index of its children by name, when it was created with one. */
  readonly byName: Map<string, StatNode> | null;
  /** Bucketed event counts of the last burst window: bucket numbers, counts and first times, in order. */
  private readonly bucketNo: number[] = [0];
  private readonly bucketCount: number[] = [0];
  private readonly bucketStart: number[] = [0];
  private windowCount = 0;
  maxBurst = 0;
  /** When the busiest window began, in milliseconds since the first packet of the capture. */
  burstStart = -1;
  /** Its id when it was created as a parent (what a tick returns), else -1. */
  id = -1;

  constructor(readonly name: string, readonly parent: StatNode | null, withIndex: boolean,
    readonly isFloat: boolean, readonly topLevel: boolean) {
    this.byName = withIndex ? new Map() : null;
  }

  /** `value` events at `now` (ms) into the sliding window of BURST_WINDOW_MS. */
  burst(now: number, value: number): void {
    const current = Math.floor(now / BURST_RESOLUTION_MS);
    const no = this.bucketNo, count = this.bucketCount, start = this.bucketStart;
    const last = no.length - 1;
    if (current > no[last]) {
      no.push(current); count.push(value); start.push(now);
      this.windowCount += value;
      // buckets that fell out of the window
      let drop = 0;
      while (drop < no.length - 1 && current >= no[drop] + BURST_BUCKETS) this.windowCount -= count[drop++];
      if (drop > 0) { no.splice(0, drop); count.splice(0, drop); start.splice(0, drop); }
    } else if (current < no[0]) {
      // a packet earlier than the window's first (time went back): kept while it is inside the window
      if (current + BURST_BUCKETS > no[last]) {
        no.unshift(current); count.unshift(value); start.unshift(now);
        this.windowCount += value;
      }
    } else {
      let i = last;
      while (current < no[i]) i--;
      if (current === no[i]) {
        count[i] += value;
        if (start[i] > now) start[i] = now;
      } else {
        no.splice(i + 1, 0, current); count.splice(i + 1, 0, value); start.splice(i + 1, 0, now);
      }
      this.windowCount += value;
    }
    if (this.windowCount > this.maxBurst) {
      this.maxBurst = this.windowCount;
      this.burstStart = start[0];
    }
  }
}

/** One statistic's tree: its nodes, their indexes by name, and the clock of its tap calls. */
export class StatsTree {
  /** The root, named by the part of the title after its last '/' (as tshark shows it). */
  readonly root: StatNode;
  /** Nodes created as parents, by id (0 is the root), and by name. */
  private readonly parents: StatNode[];
  private readonly names = new Map<string, StatNode>();
  private nodes = 0;
  /** Names past MAX_NODES, not counted. */
  dropped = 0;
  /** Milliseconds since the capture's first packet: of this call, of the tree's first call, and between them. */
  now = 0;
  private start = -1;
  elapsed = 0;

  constructor(readonly title: string) {
    this.root = new StatNode(displayName(title), null, false, false, false);
    this.parents = [this.root];
  }

  /** Every tap call first says when it happens. */
  at(now: number): void {
    this.now = now;
    if (this.start < 0) this.start = now;
    this.elapsed = now - this.start;
  }

  /** A node under parent `parentId`, made a parent itself (its id returned); `withIndex`: it finds its children by name. */
  createNode(name: string, parentId: number, withIndex: boolean, isFloat = false): number {
    return this.make(name, parentId, withIndex, true, isFloat)?.id ?? -1;
  }

  /** A pivot: a parent counted once per event, with a child per value (stats_tree_create_pivot). */
  createPivot(name: string, parentId: number): number {
    return this.createNode(name, parentId, true);
  }

  /** One event at node `name` under `parentId`, made when not found; its id, or -1 when it is no parent. */
  tick(name: string, parentId: number, withIndex: boolean): number {
    const node = this.find(name, parentId, withIndex, false);
    if (node === null) return -1;
    node.counter++;
    node.burst(this.now, 1);
    return node.id;
  }

  /** One event with a value: counted, and its value summed and compared (avg_stat_node_add_value). */
  average(name: string, parentId: number, withIndex: boolean, value: number, isFloat = false): number {
    const node = this.find(name, parentId, withIndex, isFloat);
    if (node === null) return -1;
    node.counter++;
    node.burst(this.now, 1);
    // a float node sums in C float precision, as Wireshark's does
    node.total = node.isFloat ? Math.fround(node.total + value) : node.total + value;
    if (value < node.min) node.min = value;
    if (value > node.max) node.max = value;
    node.averaged = true;
    return node.id;
  }

  /** One event at pivot `pivotId` and at its child named `value`. */
  tickPivot(pivotId: number, value: string): void {
    const pivot = this.parents[pivotId];
    if (pivot === undefined) return;
    pivot.counter++;
    pivot.burst(this.now, 1);
    this.tick(value, pivotId, false);
  }

  setFlags(name: string, parentId: number, flags: number): void {
    const node = this.find(name, parentId, false, false);
    if (node !== null) node.flags |= flags;
  }

  private find(name: string, parentId: number, withIndex: boolean, isFloat: boolean): StatNode | null {
    const parent = this.parents[parentId];
    if (parent === undefined) return null;
    const found = parent.byName !== null ? parent.byName.get(name) : this.names.get(name);
    return found ?? this.make(name, parentId, withIndex, withIndex, isFloat);
  }

  private make(name: string, parentId: number, withIndex: boolean, asParent: boolean, isFloat: boolean): StatNode | null {
    const parent = this.parents[parentId];
    if (parent === undefined) return null;
    if (this.nodes >= MAX_NODES) { this.dropped++; return null; }
    this.nodes++;
    const node = new StatNode(name, parent, withIndex, isFloat, parentId === 0);
    if (asParent) {
      this.names.set(name, node);
      node.id = this.parents.length;
      this.parents.push(node);
    }
    parent.children.push(node);
    if (parent.byName !== null) parent.byName.set(name, node);
    return node;
  }
}

/**
 * A title's last part, as tshark names a tree and its top-level nodes ("HTTP/Packet Counter" →
 * "Packet Counter"); "//" stands for a '/' that separates nothing.
 */
export function displayName(full: string): string {
  let out = '';
  for (let i = 0; i < full.length; i++) {
    const c = full[i];
    if (c !== '/') { out += c; continue; }
    if (full[i + 1] === '/') { out += '/'; i++; continue; }
    out = '';
  }
  return out;
}

/** Milliseconds from the capture's first packet to this one (Wireshark's nstime_to_msec of frame.time_relative). */
export function msSinceFirst(tsSec: number, tsNsec: number, firstSec: number, firstNsec: number): number {
  let sec = tsSec - firstSec, nsec = tsNsec - firstNsec;
  if (nsec < 0 && sec > 0) { sec -= 1; nsec += 1e9; } else if (nsec > 0 && sec < 0) { sec += 1; nsec -= 1e9; }
  return sec * 1000 + nsec / 1e6;
}
