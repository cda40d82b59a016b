/** Password rules of the account system: 8–16 characters with both letters and digits. */

export type PasswordProblem = 'length' | 'characters' | 'letters-and-digits';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 16;

/** What is wrong with a new password, or `undefined` when it is acceptable. */
export function checkPassword(password: string): PasswordProblem | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) return 'length';
  // Printable ASCII without spaces: what the registration form accepts.
  if (!/^[\x21-\x7e]+$/.test(password)) return 'characters';
  if (!/[A-Za-z]/.test(password) || !/\d/.test(password)) return 'letters-and-digits';
  return undefined;
}
