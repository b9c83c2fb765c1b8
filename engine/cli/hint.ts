/**
 * Hints that print a command to run next repeat the command the responder typed, every flag
 * kept, with what is missing added: dropping a flag such as `--step` would widen what the next
 * command does (undo every change instead of one).
 */

const PLAIN = /^[A-Za-z0-9_./:=@%+,^-]+$/;

/** One argument as a POSIX shell reads it back. */
export function shellArg(arg: string): string {
  return arg !== '' && PLAIN.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `irun <command> <argv as given> <extra>`, quoted for a shell. */
export function commandAgain(command: string, argv: readonly string[], extra: readonly string[] = []): string {
  return ['irun', ...command.split(' '), ...argv, ...extra].map(shellArg).join(' ');
}
