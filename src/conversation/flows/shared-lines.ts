import type { CoreLimitsView } from '../../account-core/types.js';
import type { FlowContext, Reply } from '../types.js';
import { line } from './flow-kit.js';
import type { IdReadingProblem } from './identity-input.js';

/** The precise reason an ID number was refused (`common/id-problem`). */
export function idProblemLine(ctx: FlowContext, problem: IdReadingProblem): Reply {
  return line(ctx, 'common/id-problem', {
    problem: problem.kind,
    length: problem.kind === 'length' ? problem.length : null,
    expected: problem.kind === 'check-digit' ? problem.expected : null,
  });
}

/** The account system could not do it just now (`common/core-unavailable`). */
export function coreTroubleLine(ctx: FlowContext): Reply {
  return line(ctx, 'common/core-unavailable');
}

/**
 * The figures the account core reports (codes a day, code lifetime, password rules...). Templates
 * quote these, never figures of their own; `null` when the core cannot say, and the figure is left out.
 */
export async function coreLimits(ctx: FlowContext): Promise<CoreLimitsView | null> {
  const limits = await ctx.core.limits({});
  return limits.ok ? limits.value : null;
}
