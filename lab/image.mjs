// The lab's root filesystem: a cached Debian 12 base tree (mmdebstrap, ~70 s cold) and, per .deb, a root image
// with cryptvm installed through dpkg into an overlay of that tree, then packed with `mkfs.ext4 -d`.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, copyFileSync, chmodSync, symlinkSync } from 'node:fs';
import { join, basename } from 'node:path';
import { LAB, ROOT, CACHE, hashInputs, run, log, prune } from './lib/util.mjs';
import { buildGuestKernel } from './guests/build.mjs';
import { GUESTS, GUEST_KERNEL, domainXml } from './guests/domains.mjs';
import { installMeasure } from './measure-units.mjs';

const BASE_RECIPE = 1;

export const PACKAGES = [
  'systemd-sysv', 'udev', 'dbus', 'linux-image-cloud-amd64', 'initramfs-tools', 'cryptsetup', 'lvm2', 'dmsetup',
  'libvirt-daemon-system', 'libvirt-clients', 'qemu-system-x86', 'qemu-utils', 'nodejs', 'e2fsprogs', 'jq',
  'kmod', 'procps', 'less', 'passwd', 'mount',
  // issue 5: systemd-cryptenroll/the systemd-tpm2 token plugin dlopen tss2 (device TCTI for /dev/tpmrm0);
  // clevis + tang pin for the tang-bound volume.
  'libtss2-esys-3.0.2-0', 'libtss2-rc0', 'libtss2-mu0', 'libtss2-tcti-device0', 'tpm2-tools',
  'clevis', 'clevis-luks', 'curl',
];

/** The machine's own apt sources (deb822), fed to mmdebstrap on stdin: no mirror name lives in the repo. */
function aptSources() {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources')).sort() : [];
  const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n\n');
  if (!text.trim()) throw new Error(`no deb822 apt sources in ${dir}/*.sources: the lab reads its mirror from there`);
  return text;
}

/** Base tree + kernel + initrd + base image (for provisioning), all cached by a hash of every input. */
export async function buildBase() {
  const sources = aptSources();
  // Bump BASE_RECIPE when buildBase's steps change (image.mjs itself is not hashed: root-image edits
  // must not trigger a 70-170 s rebuild).
  const hash = hashInputs([join(LAB, 'files')], [BASE_RECIPE, PACKAGES.join(','), sources]);
  const dir = join(CACHE, `base-${hash}`);
  const base = { hash, dir, tree: join(dir, 'tree'), kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img'),
    image: join(dir, 'base.img'), keyserver: join(dir, 'keyserver') };
  if (existsSync(join(dir, 'done'))) return base;
  const t0 = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`building the base tree with mmdebstrap (${base.hash}), about 70 s`);
  await run('mmdebstrap', ['--mode=root', '--variant=apt', `--include=${PACKAGES.join(',')}`,
    '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*',
    '--dpkgopt=path-exclude=/usr/share/locale/*', 'bookworm', base.tree, '-'], { input: sources, quiet: true });
  await run('bash', [join(LAB, 'files', 'customize.sh'), base.tree]);
  const boot = readdirSync(join(base.tree, 'boot'));
  const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
  const initrd = boot.find((f) => f.startsWith('initrd.img-'));
  if (!kernel || !initrd) throw new Error(`no kernel/initrd in ${base.tree}/boot (got: ${boot.join(' ')})`);
  copyFileSync(join(base.tree, 'boot', kernel), base.kernel);
  copyFileSync(join(base.tree, 'boot', initrd), base.initrd);
  await mkfs(base.tree, base.image);
  writeFileSync(join(dir, 'done'), `${(Date.now() - t0) / 1000}\n`);
  log(`base built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return base;
}

/** Pack a directory into a sparse ext4 image with room to spare (journal, libvirt state). */
export async function mkfs(tree, image) {
  const { stdout } = await run('du', ['-sm', tree], { quiet: true });
  const mb = parseInt(stdout, 10) + 768;
  rmSync(image, { force: true });
  await run('mkfs.ext4', ['-q', '-F', '-L', 'labroot', '-d', tree, image, `${mb}M`], { quiet: true });
}

/** The cryptvm .deb built by packaging/deb/build.sh; a clear error when it is not there yet. */
export function findDeb() {
  // The package of this checkout's version, not whatever older build is lying around in dist/.
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const deb = join(ROOT, 'dist', `cryptvm_${version}-1_all.deb`);
  if (!existsSync(deb)) throw new Error(`no ${deb}: build it first with \`bash packaging/deb/build.sh\` (npm run deb)`);
  return deb;
}

/** Guests: the tiny kernel and persistent definitions libvirtd loads at start; `virsh autostart` links. */
function installGuests(tree, guestElf) {
  mkdirSync(join(tree, 'usr/local/lib/cryptvm-lab'), { recursive: true });
  mkdirSync(join(tree, 'etc/libvirt/qemu/autostart'), { recursive: true });
  copyFileSync(guestElf, join(tree, GUEST_KERNEL));
  for (const g of GUESTS) {
    writeFileSync(join(tree, 'etc/libvirt/qemu', `${g.name}.xml`), domainXml(g), { mode: 0o600 });
    // What `virsh autostart NAME` does: a link in autostart/ to the persistent definition.
    if (g.autostart) symlinkSync(`/etc/libvirt/qemu/${g.name}.xml`, join(tree, 'etc/libvirt/qemu/autostart', `${g.name}.xml`));
  }
  installMeasure(tree);
}

/** Root image = base tree + guests + the .deb installed with dpkg + the lab config; cached by all of them. */
export async function buildRootImage(base, debPath, configToml) {
  const guestElf = await buildGuestKernel();
  const hash = hashInputs([debPath, join(LAB, 'guests'), join(LAB, 'image.mjs'), join(LAB, 'measure-units.mjs')], [base.hash, configToml]);
  const image = join(CACHE, `root-${hash}.img`);
  if (existsSync(image)) return image;
  const t0 = Date.now();
  const work = join(CACHE, `overlay-${hash}`);
  await run('umount', [join(work, 'merged')], { allowFail: true, quiet: true }); // left over by a killed run
  rmSync(work, { recursive: true, force: true });
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(work, d), { recursive: true });
  const merged = join(work, 'merged');
  await run('mount', ['-t', 'overlay', 'overlay', '-o',
    `lowerdir=${base.tree},upperdir=${join(work, 'upper')},workdir=${join(work, 'work')}`, merged]);
  try {
    copyFileSync(debPath, join(merged, 'tmp', basename(debPath)));
    log(`installing ${basename(debPath)} with dpkg in the image`);
    await run('chroot', [merged, 'dpkg', '-i', `/tmp/${basename(debPath)}`]);
    rmSync(join(merged, 'tmp', basename(debPath)));
    writeFileSync(join(merged, 'etc/cryptvm/cryptvm.toml'), configToml);
    chmodSync(join(merged, 'etc/cryptvm/cryptvm.toml'), 0o600);
    installGuests(merged, guestElf);
    await mkfs(merged, `${image}.tmp`);
  } finally {
    await run('umount', [merged], { allowFail: true });
    rmSync(work, { recursive: true, force: true });
  }
  renameSync(`${image}.tmp`, image);
  prune(CACHE, /^root-.*\.img$/, 3);
  log(`root image with ${basename(debPath)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return image;
}
