// QEMU command lines for the lab VM: q35 under TCG (KVM can't boot a stock kernel here), direct kernel boot,
// virtio disks, ttyS0 = console (the user's terminal or a node-pty), ttyS1 = result channel into a file.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { run } from './lib/util.mjs';
import { hostArgs } from './host.mjs';

/** A copy-on-write qcow2 layer over a cached image, so every run starts from the same pristine disk. */
export async function overlay(backing, path, backingFormat = 'raw') {
  rmSync(path, { force: true });
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', backingFormat, '-b', backing, path], { quiet: true });
  return path;
}

/**
 * @param {{kernel:string, initrd:string, root:string, disk2:string, results:string, cmdline?:string[],
 *          console?:'stdio'|'mon:stdio', memMiB?:number, tpmSock?:string, tangPort?:number,
 *          keyServerPort?:number}} o
 */
export function qemuArgs(o) {
  const fmt = (p) => (p.endsWith('.qcow2') ? 'qcow2' : 'raw');
  const append = ['root=/dev/vda', 'rw', 'console=ttyS0,115200', 'quiet', ...(o.cmdline ?? [])].join(' ');
  return [
    '-machine', 'q35,accel=tcg', '-smp', '2', '-m', String(o.memMiB ?? 2048),
    '-nodefaults', '-display', 'none', '-no-reboot',
    '-kernel', o.kernel, '-initrd', o.initrd, '-append', append,
    '-drive', `file=${o.root},if=virtio,format=${fmt(o.root)},cache=unsafe`,
    '-drive', `file=${o.disk2},if=virtio,format=${fmt(o.disk2)},cache=unsafe`,
    '-serial', o.console ?? 'stdio',
    '-serial', `file:${o.results}`,
    ...hostArgs(o),
  ];
}

/** Boot with no terminal attached (provisioning); resolves with the exit code when the VM powers off. */
export function bootHeadless(args, { timeoutMs, consoleLog }) {
  return new Promise((resolve, reject) => {
    // The console goes to a file when one is given, so a boot that hangs can be read afterwards.
    const ttyS0 = consoleLog ? `file:${consoleLog}` : 'null';
    const child = spawn('qemu-system-x86_64', args.map((a) => (a === 'stdio' ? ttyS0 : a)),
      { stdio: ['ignore', 'ignore', 'inherit'] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`VM did not power off within ${timeoutMs / 1000} s`)); }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run qemu-system-x86_64: ${e.message}`)); });
    child.on('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

export function requireFile(p, what) {
  if (!existsSync(p)) throw new Error(`${what} missing: ${p}`);
}
