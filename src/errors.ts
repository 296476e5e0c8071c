// A mistake in what the user asked for (bad option, unknown field, unreadable file): reported as
// one line on stderr with exit status 2, never as a stack trace.
export class UsageError extends Error {}
