import type { CoreError, CoreLimitsView } from '../../account-core/types.js';
import type { FlowContext, Reply } from '../types.js';
import { line, type MessageInput } from './flow-kit.js';

/** A verification code in a message: the 6 digits, `malformed` for a wrong-length number, or nothing. */
export function readCode(input: MessageInput): string | 'malformed' | undefined {
  const code = input.entities.codes[0];
  if (code) return code;
  const digits = input.text.normalize('NFKC').replace(/[\s-]/g, '');
  return /^\d{3,10}$/.test(digits) ? 'malformed' : undefined;
}

/** The kinds of trouble with sending or checking a code, as `common/code-problem` words them. */
export type CodeProblem = 'wrong' | 'used' | 'none-sent' | 'expired' | 'attempts-exceeded' | 'too-soon' | 'daily-limit' | 'malformed' | 'unavailable';

/** The core's refusal of a code send or check, in the user's words. */
export function codeProblemOf(error: CoreError): CodeProblem {
  switch (error.code) {
    case 'code_invalid':
      return error.details?.reason === 'used' ? 'used' : error.details?.reason === 'wrong' ? 'wrong' : 'none-sent';
    case 'not_bound':
      return 'none-sent';
    case 'code_expired':
      return 'expired';
    case 'attempts_exceeded':
      return 'attempts-exceeded';
    case 'send_too_soon':
      return 'too-soon';
    case 'daily_limit':
      return 'daily-limit';
    default:
      return 'unavailable';
  }
}

/**
 * The refusal in the user's words. Figures (tries left, seconds to wait, the daily cap, how long
 * codes last) come from the core's error details or its reported limits, and are left out when
 * neither gives them.
 */
export function codeProblemLine(ctx: FlowContext, problem: CodeProblem, error?: CoreError, limits?: CoreLimitsView | null): Reply {
  const figure = (value: unknown) => (typeof value === 'number' && value > 0 ? value : null);
  return line(ctx, 'common/code-problem', {
    problem,
    attemptsLeft: figure(error?.details?.attemptsLeft),
    // Too many wrong codes from everyone together voids the codes; from this user alone, it does not.
    voided: error?.details?.voided !== false,
    seconds: figure(error?.details?.retryAfterSeconds),
    limit: figure(error?.details?.limit) ?? limits?.smsPerDay ?? null,
    validHours: figure(error?.details?.validHours) ?? limits?.codeValidityHours ?? null,
  });
}
