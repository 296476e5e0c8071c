// A mistake in what the user asked for (bad option, unknown field, unreadable file): reported as
// one line on stderr with exit status 2, never as a stack trace.

import { sanitizeText } from './output/sanitize';

export class UsageError extends Error {}

/** Exit status of a usage error: tshark's and tcpdump's convention. */
export const EXIT_USAGE = 2;
/** A run that started well and then failed (the -w disk filled up): tcpdump's status for it. */
export const EXIT_RUN_FAILED = 1;

/** A one-line error for the user, then the exit status (2 for usage errors, tshark's and tcpdump's convention). */
export function fail(message: string, status = EXIT_USAGE): never {
  process.stderr.write(`tcpwatch: ${sanitizeText(message)}\n`);
  process.exit(status);
}
