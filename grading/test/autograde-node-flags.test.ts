/**
 * Permission-model flags by feature detection: the flag sets of Node 20, 22
 * and 24 (as their process.allowedNodeEnvironmentFlags report them), and the
 * running Node, which must accept what we derive.
 */
import { spawnSync } from 'child_process';
import { describe, expect, it } from 'vitest';
import { permissionArgs, permissionFlags, permissionFlagsFor } from '../src/autograde/node-flags';

const COMMON = ['--allow-fs-read', '--allow-fs-write', '--allow-child-process', '--allow-worker', '--no-addons', '--max-old-space-size'];
const NODE20 = new Set([...COMMON, '--experimental-permission', '--allow-addons', '--allow-wasi']);
const NODE22 = new Set([...COMMON, '--experimental-permission', '--permission', '--allow-addons', '--allow-wasi']);
const NODE24 = new Set([...COMMON, '--permission', '--allow-addons', '--allow-wasi']);
const NODE25 = new Set([...NODE24, '--allow-net']);

describe('permission flags by feature detection', () => {
  it('picks the switch each Node line understands', () => {
    expect(permissionFlagsFor(NODE20)?.enable).toBe('--experimental-permission');
    expect(permissionFlagsFor(NODE22)?.enable).toBe('--permission');
    expect(permissionFlagsFor(NODE24)?.enable).toBe('--permission');
    expect(permissionFlagsFor(NODE24)?.netPermission).toBe(false);
    expect(permissionFlagsFor(NODE25)?.netPermission).toBe(true);
    expect(permissionFlagsFor(new Set(COMMON))).toBeUndefined();
    expect(() => permissionFlags(new Set(COMMON))).toThrow(/no permission model/);
  });

  it('grants reads and writes only as listed, never child processes, workers, addons, WASI or the network', () => {
    const args = permissionArgs(['/a', '/b'], ['/tmp'], permissionFlagsFor(NODE24)!);
    expect(args).toEqual(['--permission', '--allow-fs-read=/a', '--allow-fs-read=/b', '--allow-fs-write=/tmp', '--no-addons']);
    expect(args.join(' ')).not.toMatch(/--allow-(child-process|worker|addons|wasi|net)/);
  });

  it('gives flags the running Node accepts, and a process under them cannot read elsewhere or spawn', () => {
    const args = permissionArgs([__dirname]);
    const probe = `
      const fs = require('fs');
      let read = 'denied'; try { fs.readFileSync('/etc/hostname'); read = 'allowed'; } catch (e) { read = e.code; }
      let spawn = 'denied'; try { require('child_process').spawnSync('true'); spawn = 'allowed'; } catch (e) { spawn = e.code; }
      console.log(JSON.stringify({ read, spawn, permission: typeof process.permission?.has === 'function' ? process.permission.has('fs.read', '/etc/hostname') : null }));`;
    const r = spawnSync(process.execPath, [...args, '--no-warnings', '-e', probe], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/bad option/);
    expect(JSON.parse(r.stdout)).toEqual({ read: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED', permission: false });
  });
});
