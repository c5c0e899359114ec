import type { Plan, PlanStep } from '../../api/types.js';
import type { Command } from '../command.js';
import { EXIT_OK, println } from '../context.js';

// Steps that carry a layer share its number: they run in parallel, and layer n+1 begins when layer n is done.
// Steps that carry a layer share its number: they run together, and layer n+1 begins when layer n is done.
const steps = (list: PlanStep[]) =>
  list.length ? list.map((s, i) => `  ${s.layer ?? i + 1}. ${s.action} ${s.target}${s.detail ? ` — ${s.detail}` : ''}`).join('\n') : '  (nothing to do)';

export function renderPlan(p: Plan): string {
  const conflicts = p.conflicts.length ? p.conflicts.map((c) => `  ! ${c}`).join('\n') : '  none';
  return `Boot:\n${steps(p.boot)}\n\nShutdown:\n${steps(p.shutdown)}\n\nConflicts:\n${conflicts}`;
}

export const plan: Command = {
  name: 'plan',
  summary: 'show what boot and shutdown would do, without doing it',
  usage: 'plan [--json]',
  help: '  --json   print the plan as JSON',
  options: { json: { type: 'boolean' } },
  async run(ctx, values) {
    const p = await ctx.api().plan();
    println(ctx.stdout, values.json ? JSON.stringify(p, null, 2) : renderPlan(p));
    return EXIT_OK;
  },
};
