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
