// cryptvmd's API on the system bus: org.cryptvm.Manager1 at /org/cryptvm/Manager1, backed by DaemonControl.
// Properties and signals follow control.onChange; signals carry names and states only, never secrets.
import { interface as dbusInterface, NameFlag, RequestNameReply, sessionBus, systemBus, type MessageBus } from 'dbus-next';
import type { ChangeEvent, DaemonControl } from '../api/types.js';
import { CryptvmError, errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createDispatcher } from './dispatch.js';
import { ManagerInterface } from './interface.js';
import { BUS_NAME, OBJECT_PATH } from './names.js';
import { withTimeout } from './timeout.js';

export interface ApiOptions {
  /** An already connected bus (tests); otherwise we connect to busAddress or the system bus. */
  bus?: MessageBus;
  busAddress?: string;
  log: Logger;
}

export interface Api {
  stop(): Promise<void>;
}

async function ownName(bus: MessageBus): Promise<void> {
  let reply: number;
  try {
    // DO_NOT_QUEUE: a second daemon must fail now, not wait in line for the name.
    reply = await withTimeout(bus.requestName(BUS_NAME, NameFlag.DO_NOT_QUEUE), 10_000, 'the system bus (RequestName)');
  } catch (e) {
    const denied = /AccessDenied/.test(String((e as { type?: string }).type ?? '')) || /not allowed to own/.test(errorMessage(e));
    throw new CryptvmError(
      denied ? 'AccessDenied' : 'Failed',
      denied
        ? `not allowed to own ${BUS_NAME} on the system bus: run cryptvmd as root and install the policy file /usr/share/dbus-1/system.d/${BUS_NAME}.conf`
        : `cannot own ${BUS_NAME} on the system bus: ${errorMessage(e)}`,
      { cause: e },
    );
  }
  if (reply !== RequestNameReply.PRIMARY_OWNER && reply !== RequestNameReply.ALREADY_OWNER) {
    throw new CryptvmError('Failed', `the bus name ${BUS_NAME} is taken: another cryptvmd is running? (systemctl status cryptvm)`);
  }
}

function forward(iface: ManagerInterface, event: ChangeEvent): void {
  const I = dbusInterface.Interface;
  if (event.kind === 'volume') {
    iface.VolumeChanged(event.volume.name, event.volume.state);
    I.emitPropertiesChanged(iface, { Volumes: iface.Volumes }, []);
  } else if (event.kind === 'guest') {
    iface.GuestChanged(event.guest.name, event.guest.state);
    I.emitPropertiesChanged(iface, { Guests: iface.Guests }, []);
  } else {
    I.emitPropertiesChanged(iface, { Status: iface.Status, Phase: iface.Phase }, []);
  }
}

export async function startApi(control: DaemonControl, options: ApiOptions): Promise<Api> {
  const { log } = options;
  const ownBus = options.bus === undefined;
  const bus = options.bus ?? (options.busAddress ? sessionBus({ busAddress: options.busAddress }) : systemBus());
  // Without a listener a lost connection would crash the daemon; the daemon keeps running without its API.
  const onError = (e: unknown) => log.error({ err: e }, 'D-Bus connection error; the cryptvm API is unavailable');
  bus.on('error', onError);

  const iface = new ManagerInterface(control);
  const dispatcher = createDispatcher(bus, control, log);
  bus.addMethodHandler(dispatcher);
  bus.export(OBJECT_PATH, iface);
  const unsubscribe = control.onChange((event) => {
    try {
      forward(iface, event);
    } catch (e) {
      log.warn({ err: e }, 'cannot emit D-Bus change signal');
    }
  });

  const stop = async () => {
    unsubscribe();
    bus.removeMethodHandler(dispatcher);
    bus.unexport(OBJECT_PATH, iface);
    await withTimeout(bus.releaseName(BUS_NAME), 5_000, 'the system bus (ReleaseName)').catch(() => undefined);
    if (ownBus) bus.disconnect();
    bus.off('error', onError);
  };

  try {
    await ownName(bus);
  } catch (e) {
    await stop();
    throw e;
  }
  log.info({ name: BUS_NAME }, 'D-Bus API ready');
  return { stop };
}
