// `npm run test:system`: two boots of the lab VM driven through the console like a person would.
// Boot 1 (someone at the console): scenarios a, g (TPM2 token + tang volumes), b, markers for e, power-off (d).
// Boot 2 (headless): late unlock (c), g again with nobody at the console, the cryptvm command
// (f: status, plan, lock, unlock at the console), faults (h: broken guest XML, libvirtd down, empty and
// used-up prompts, kill -9 during opens), power-off again.
// Prints one line per check and, last, "N passed, N failed"; exits non-zero on any failure.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tally } from './lib/tally.mjs';
import { log } from './lib/util.mjs';
import { prepare } from './prepare.mjs';
import { bootVm } from './boot.mjs';
import { scenarioBoot } from './scenarios/a-boot.mjs';
import { scenarioRestart } from './scenarios/b-restart.mjs';
import { scenarioLateUnlock } from './scenarios/c-late-unlock.mjs';
import { scenarioCli } from './scenarios/f-cli.mjs';
import { scenarioHardening } from './scenarios/i-hardening.mjs';
import { powerOff, checkShutdownJournal } from './scenarios/d-poweroff.mjs';
import { checkUnattended } from './scenarios/g-unattended.mjs';
import { newMarker, writeMarkers, checkMarkers } from './scenarios/e-data.mjs';
import { scenarioFaults } from './scenarios/h-faults.mjs';

const SHUTDOWN_TIMEOUT_S = 30; // lab/cryptvm.toml
const t = new Tally();
const timings = {};
const t0 = Date.now();
let vm;
let images;

async function step(names, fn) {
  try { await fn(); } catch (e) { t.fail(names, e); }
}

try {
  const tPrep = Date.now();
  images = await prepare('test');
  timings.prepare = (Date.now() - tPrep) / 1000;
  const marker = newMarker();

  vm = await bootVm(images, 1);
  await step(['a: scenario'], () => scenarioBoot(t, vm, timings));
  await step(['g: boot 1'], () => checkUnattended(t, vm, 'boot 1'));
  await step(['b: scenario'], () => scenarioRestart(t, vm));
  await step(['e: markers written'], async () => {
    const r = await writeMarkers(vm.res, marker);
    t.check('e: markers written', r.rc === 0, r.out.trim());
  });
  await step(['d: first VM off'], async () => { timings.powerOff = await powerOff(t, vm, 'first'); });

  vm = await bootVm(images, 2);
  await step(['c: scenario'], () => scenarioLateUnlock(t, vm, timings));
  await step(['g: headless boot 2'], () => checkUnattended(t, vm, 'headless boot 2'));
  await step(['f: scenario'], () => scenarioCli(t, vm, images.runDir));
  await step(['i: scenario'], () => scenarioHardening(t, vm));
  await step(['h: scenario'], () => scenarioFaults(t, vm));
  await step(['d: journal checks'], () => checkShutdownJournal(t, vm, SHUTDOWN_TIMEOUT_S));
  await step(['e: markers checked'], () => checkMarkers(t, vm.res, marker));
  await step(['d: second VM off'], async () => { timings.powerOff2 = await powerOff(t, vm, 'second'); });
  writeFileSync(join(images.runDir, 'timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
} catch (e) {
  t.fail(['system test setup'], e);
} finally {
  vm?.con.kill();
  images?.stopHost();
}
timings.total = (Date.now() - t0) / 1000;
log(`timings: ${JSON.stringify(timings)}`);
console.log(t.summary());
process.exit(t.failed === 0 ? 0 : 1);
