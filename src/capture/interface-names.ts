// The names of the interfaces frames come from, by interface id (CapturedFrame.ifIndex): set by a
// live capture on several -i (in -i order) and by the pcapng reader from each Interface Description
// Block's if_name. frame.interface_name reads it. One table per process: a process reads one capture.

const names: string[] = [];

/** Interface `id` is called `name` (a pcapng IDB's if_name, or an -i argument). */
export function setInterfaceName(id: number, name: string): void {
  names[id] = name;
}

/** The name of interface `id`, or undefined when the capture gave it none (pcap files, an IDB without if_name). */
export function interfaceName(id: number): string | undefined {
  return names[id];
}
