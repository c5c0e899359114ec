// Everything a boot needs, built or reused from .cache/lab: base tree, disk2, root image with the .deb.
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LAB, CACHE, log, prune } from './lib/util.mjs';
import { buildBase, buildRootImage, findDeb } from './image.mjs';
import { provisionDisk2 } from './disk.mjs';
import { overlay } from './vm.mjs';
import { copyTpmState, startTang } from './host.mjs';
import { startKeyServer } from './keyserver.mjs';

export const PASSPHRASE = 'lab-passphrase';
/** The volumes of the lab's cryptvm.toml, in file order (each [[volume]] starts with its name). */
export const LAB_VOLUMES = [...readFileSync(join(LAB, 'cryptvm.toml'), 'utf8')
  .matchAll(/^\[\[volume\]\]\s*\nname = "([^"]+)"/gm)].map((m) => m[1]);
export const ROOT_PASSWORD = 'lab';

/** @returns the cached images plus fresh per-run overlays in a new run directory */
export async function prepare(runName) {
  const t0 = Date.now();
  const deb = findDeb(); // fail early and clearly when the package is not built
  const base = await buildBase();
  const disk2 = await provisionDisk2(base);
  // Older bases and the disks/host state made with them: keep one other generation (switching branches back).
  prune(CACHE, new RegExp(`^(base|disk2|swtpm|tang)-(?!${base.hash})`), 4);
  const root = await buildRootImage(base, deb, readFileSync(join(LAB, 'cryptvm.toml'), 'utf8'));
  const runDir = join(CACHE, 'runs', `${runName}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  prune(join(CACHE, 'runs'), /./, 4);
  // One tang server and one key server per run (every boot of it uses the same); the caller ends them with
  // images.stopHost().
  const tang = await startTang(disk2.tangKeys);
  const keyServer = await startKeyServer(base.keyserver);
  const images = {
    kernel: base.kernel, initrd: base.initrd, runDir, deb,
    root: await overlay(root, join(runDir, 'root.qcow2')),
    disk2: await overlay(disk2.image, join(runDir, 'disk2.qcow2')),
    tpmState: copyTpmState(disk2.tpmState, join(runDir, 'swtpm')), tangPort: tang.port, keyServerPort: keyServer.port,
    keyServerRequests: keyServer.requests,
    stopHost: () => Promise.all([tang.stop(), keyServer.stop()]),
  };
  log(`images ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${runDir})`);
  return images;
}
