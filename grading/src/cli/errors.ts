/**
 * How the CLIs report an error: one line for what the user can fix (a file
 * that is missing or unreadable, bad input), a stack trace only for what is
 * a bug of the kit.
 */

/** File-system error codes that mean "the path you gave": the message names the path, no stack. */
const PATH_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a folder, a file was expected',
  ENOTDIR: 'a file stands where a folder was expected',
  ELOOP: 'too many symbolic links',
};

export interface DescribedError {
  /** One line (or a few for input problems) for the user. */
  message: string;
  /** True when the error is not the user's input: print the stack too. */
  bug: boolean;
}

export function describeError(e: unknown, userError: (e: Error) => boolean = () => false): DescribedError {
  if (!(e instanceof Error)) return { message: String(e), bug: true };
  const code = (e as NodeJS.ErrnoException).code;
  const path = (e as NodeJS.ErrnoException).path;
  if (code && PATH_ERRORS[code] && path) return { message: `${path}: ${PATH_ERRORS[code]}`, bug: false };
  if (code === 'SQLITE_CANTOPEN') return { message: e.message, bug: false };
  return { message: e.message, bug: !userError(e) };
}
