import type { Plan, Step } from '../../api/types.js';
import { withFallbacks, stepTarget } from '../../planner/steps.js';
import type { Command } from '../command.js';
import { EXIT_OK, println } from '../context.js';
import { describeStep } from '../plan-text.js';

// Steps share their layer's number: they run in parallel, and layer n+1 begins when layer n is done. A
// shutdown's on_timeout fallback is listed under it, in its layer.
const steps = (list: Step[]) => {
  const all = withFallbacks(list);
  return all.length ? all.map((s) => `  ${s.layer}. ${s.kind} ${stepTarget(s)} — ${describeStep(s, all)}`).join('\n') : '  (nothing to do)';
};

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
