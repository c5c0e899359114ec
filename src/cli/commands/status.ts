import type { DaemonStatus } from '../../api/types.js';
import type { Command } from '../command.js';
import { EXIT_OK, println } from '../context.js';
import { formatTable } from '../table.js';

/** The human view of GetStatus: one summary line, then the volumes and guests tables. */
export function renderStatus(s: DaemonStatus): string {
  const volumes = formatTable(
    ['NAME', 'DEVICE', 'STATE', 'KEY SOURCE', 'MOUNT', 'HOLDERS'],
    s.volumes.map((v) => [
      v.name,
      v.resolvedDevice && v.resolvedDevice !== v.device ? `${v.device} (${v.resolvedDevice})` : v.device,
      `${v.error ? `${v.state}: ${v.error}` : v.state}${v.removed ? ' (removed from the config: cryptvm lock closes it)' : ''}`,
      v.keySource ?? '',
      v.mount ? `${v.mount}${v.mounted ? '' : ' (not mounted)'}` : '',
      v.holders.join(', '),
    ]),
  );
  const guests = formatTable(
    ['NAME', 'STATE', 'WAITING FOR'],
    s.guests.map((g) => [g.fromLibvirtAutostart ? `${g.name} (libvirt autostart)` : g.name, g.error ? `${g.state}: ${g.error}` : g.state, g.waitingFor.join(', ')]),
  );
  // The status line leads with the phase itself ("ready: 4/6 volumes open; …"); older daemons' did not.
  const head = s.status.startsWith(`${s.phase}:`) ? s.status : `${s.phase} — ${s.status}`;
  return `cryptvmd: ${head}\n\nVolumes:\n${volumes}\n\nGuests:\n${guests}`;
}

export const status: Command = {
  name: 'status',
  summary: 'show volumes and guests',
  usage: 'status [--json]',
  help: '  --json   print the daemon status as JSON (the GetStatus D-Bus method)',
  options: { json: { type: 'boolean' } },
  async run(ctx, values) {
    const s = await ctx.api().getStatus();
    println(ctx.stdout, values.json ? JSON.stringify(s, null, 2) : renderStatus(s));
    return EXIT_OK;
  },
};
