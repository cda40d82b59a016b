/** Passwords of console agents (admins included): 10 to 128 characters with a letter and a digit. */
export const AGENT_PASSWORD_MIN_LENGTH = 10;
export const AGENT_PASSWORD_MAX_LENGTH = 128;

/** Why a console password is refused, or `undefined` when it meets the policy. */
export function agentPasswordProblem(password: string): 'length' | 'letters-and-digits' | undefined {
  if (password.length < AGENT_PASSWORD_MIN_LENGTH || password.length > AGENT_PASSWORD_MAX_LENGTH) return 'length';
  if (!/[A-Za-z]/.test(password) || !/\d/.test(password)) return 'letters-and-digits';
  return undefined;
}

export function isStrongAgentPassword(password: string): boolean {
  return agentPasswordProblem(password) === undefined;
}
