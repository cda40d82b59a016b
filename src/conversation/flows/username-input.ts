import type { MessageInput } from './flow-kit.js';
import { readIdNumber, type IdReadingProblem } from './identity-input.js';

/** A username in a message: the phone, e-mail or ID number used to register. */
export type UsernameReading = { kind: 'none' } | { kind: 'found'; username: string } | { kind: 'invalid-id'; problem: IdReadingProblem };

export function readUsername(input: Pick<MessageInput, 'text' | 'entities'>, now: Date): UsernameReading {
  const email = input.entities.emails[0];
  if (email) return { kind: 'found', username: email };
  const phone = input.entities.phones[0];
  if (phone) return { kind: 'found', username: phone };
  const id = readIdNumber(input, now);
  if (id.kind === 'valid') return { kind: 'found', username: id.value };
  if (id.kind === 'invalid') return { kind: 'invalid-id', problem: id.problem };
  return { kind: 'none' };
}
