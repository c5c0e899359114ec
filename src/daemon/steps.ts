// The daemon executes the planner's steps through one executor per step kind (the mapped type makes a
// missing kind a compile error). Each step run is logged as a typed event; failures are returned, and the
// caller logs them (with its own words) as `step-failed`.
import type { Logger } from '../log/logger.js';
import { ev, type LogEvent } from '../log/events.js';
import { stepTarget, byLayer, type Step, type StepKind } from '../planner/steps.js';
import { Semaphore } from './semaphore.js';

export type Executor<K extends StepKind> = (step: Extract<Step, { kind: K }>) => Promise<void>;
export type Executors = { [K in StepKind]: Executor<K> };

/** The `event` field of the log lines about executed steps (part of the one vocabulary, src/log/events.ts). */
export type StepEvent = Extract<LogEvent, 'step-started' | 'step-done' | 'step-failed'>;

export interface StepRef {
  kind: StepKind;
  target: string;
  layer: number;
}

/** The typed fields of a step log line: `{ event, step: { kind, target, layer } }`. */
export interface StepLogFields {
  event: StepEvent;
  step: StepRef;
}

export function stepRef(s: Step): StepRef {
  return { kind: s.kind, target: stepTarget(s), layer: s.layer };
}

export function stepFields(event: StepEvent, s: Step): StepLogFields {
  return ev(event, { step: stepRef(s) });
}

/** Runs one step with the executor its kind names. Throws what the executor throws. */
export async function execute(ex: Executors, step: Step, log: Logger): Promise<void> {
  log.debug(stepFields('step-started', step), `step: ${step.kind} ${stepTarget(step)} (layer ${step.layer})`);
  await (ex[step.kind] as (s: Step) => Promise<void>)(step);
  log.debug(stepFields('step-done', step), `step done: ${step.kind} ${stepTarget(step)} (layer ${step.layer})`);
}

export interface StepFailure {
  step: Step;
  err: unknown;
}

/**
 * Layer after layer; within a layer every target's steps in parallel, one target's steps in order (a failed
 * one skips the rest of that target's). Shutdowns hold one of `parallelShutdown` slots each.
 */
export async function runLayers(steps: readonly Step[], run: (s: Step) => Promise<void>, parallelShutdown: number): Promise<StepFailure[]> {
  const failures: StepFailure[] = [];
  const slots = new Semaphore(parallelShutdown);
  for (const layer of byLayer(steps)) {
    const byTarget = new Map<string, Step[]>();
    for (const s of layer) {
      const key = `${'guest' in s ? 'guest' : 'volume'} ${stepTarget(s)}`;
      byTarget.set(key, [...(byTarget.get(key) ?? []), s]);
    }
    await Promise.all(
      [...byTarget.values()].map(async (chain) => {
        for (const s of chain) {
          try {
            await (s.kind === 'shutdown' ? slots.use(() => run(s)) : run(s));
          } catch (err) {
            failures.push({ step: s, err });
            return;
          }
        }
      }),
    );
  }
  return failures;
}
