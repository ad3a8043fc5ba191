/**
 * Which permission-model flags the running Node accepts, found by feature
 * detection (never by version strings): Node 20 knows only
 * `--experimental-permission`, Node 22.13+ both spellings, Node 24 only
 * `--permission` (the old one is "bad option" there). Newer releases add
 * switches (`--allow-addons`, `--allow-wasi`, `--allow-net`) that are denied
 * unless granted; this module never grants them, it only reports what the
 * runtime would enforce.
 *
 * Sandboxes and compile servers are started with the same binary as the
 * grader (process.execPath), so the grader's own
 * `process.allowedNodeEnvironmentFlags` describes them.
 */

export interface PermissionFlags {
  /** The switch that turns the permission model on. */
  enable: '--permission' | '--experimental-permission';
  /** Node has a network permission (`--allow-net`): without the flag, sockets are refused by Node itself. */
  netPermission: boolean;
  /** Node gates native addons by permission (`--allow-addons`); `--no-addons` is passed in any case. */
  addonPermission: boolean;
  /** Node gates WASI by permission (`--allow-wasi`). */
  wasiPermission: boolean;
}

/** The flag set a Node with these allowed environment flags understands; undefined when it has no permission model. */
export function permissionFlagsFor(allowed: ReadonlySet<string>): PermissionFlags | undefined {
  const enable = allowed.has('--permission') ? '--permission' : allowed.has('--experimental-permission') ? '--experimental-permission' : undefined;
  if (!enable || !allowed.has('--allow-fs-read')) return undefined;
  return {
    enable,
    netPermission: allowed.has('--allow-net'),
    addonPermission: allowed.has('--allow-addons'),
    wasiPermission: allowed.has('--allow-wasi'),
  };
}

/** This Node's permission flags; throws (naming the version) when it has no permission model. */
export function permissionFlags(allowed: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): PermissionFlags {
  const flags = permissionFlagsFor(allowed);
  if (!flags) throw new Error(`Node ${process.version} has no permission model (--permission / --experimental-permission): the autograder needs Node 20 or newer`);
  return flags;
}

/**
 * Node options for a process under the permission model: reads limited to
 * `reads`, writes to `writes` (nothing else); child processes, workers,
 * addons, WASI and (where Node knows it) the network are not granted.
 */
export function permissionArgs(reads: string[], writes: string[] = [], flags: PermissionFlags = permissionFlags()): string[] {
  return [flags.enable, ...reads.map((p) => `--allow-fs-read=${p}`), ...writes.map((p) => `--allow-fs-write=${p}`), '--no-addons'];
}
