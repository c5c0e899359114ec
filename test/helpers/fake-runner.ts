// A stateful fake Runner for unit tests: either a script of expected calls (in order) or a handler that
// applies each call to the test's own in-memory model. Any call it does not expect throws, so an adapter
// that runs something unplanned fails its test. Inputs are copied at call time (callers wipe keys after).
import { isDeepStrictEqual } from 'node:util';
import type { Runner, RunOptions, RunResult } from '../../src/adapters/exec.js';
import { quoteCommand } from '../../src/adapters/quote.js';

export interface FakeCall {
  file: string;
  args: string[];
  options: RunOptions;
  /** Copy of stdin as bytes (undefined when none was given). */
  input?: Buffer;
}

export type FakeReply = Partial<Omit<RunResult, 'command'>> | Error;

export interface ExpectedCall {
  file: string;
  /** Exact argv, or a predicate over it. */
  args: string[] | ((args: string[]) => boolean);
  reply: FakeReply | ((call: FakeCall) => FakeReply | Promise<FakeReply>);
}

/** Return undefined for a call the model does not know: the fake then throws. */
export type FakeHandler = (call: FakeCall) => FakeReply | undefined | Promise<FakeReply | undefined>;

export class UnexpectedCallError extends Error {
  override name = 'UnexpectedCallError';
}

export class FakeRunner implements Runner {
  readonly calls: FakeCall[] = [];
  private readonly script: ExpectedCall[] = [];

  constructor(private readonly handler?: FakeHandler) {}

  /** Queue expected calls (script mode). */
  expect(...calls: ExpectedCall[]): this {
    this.script.push(...calls);
    return this;
  }

  async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const input = options.input === undefined ? undefined : Buffer.from(options.input);
    const call: FakeCall = { file, args: [...args], options, input };
    this.calls.push(call);
    const command = quoteCommand(file, args);
    let reply: FakeReply | undefined;
    const next = this.script[0];
    if (next && next.file === file && (typeof next.args === 'function' ? next.args(call.args) : isDeepStrictEqual(next.args, call.args))) {
      this.script.shift();
      reply = typeof next.reply === 'function' ? await next.reply(call) : next.reply;
    } else if (this.handler) {
      reply = await this.handler(call);
    }
    if (reply === undefined) {
      const wanted = next ? ` (expected ${next.file} ${typeof next.args === 'function' ? '<predicate>' : next.args.join(' ')})` : '';
      throw new UnexpectedCallError(`unexpected call: ${command}${wanted}`);
    }
    if (reply instanceof Error) throw reply;
    return { command, exitCode: reply.exitCode ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '', stdoutBytes: reply.stdoutBytes };
  }

  /** Throws if scripted calls were never made. */
  assertDone(): void {
    if (this.script.length > 0) throw new Error(`expected calls not made: ${this.script.map((c) => c.file).join(', ')}`);
  }
}
