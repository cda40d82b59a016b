import type { Logger } from 'pino';
import type { AccountCore } from '../../account-core/types.js';
import type { UserNotices } from './user-notices.js';

/**
 * The core as the console uses it, with one addition: once an agent's decision on a photo review
 * is recorded, the user is told on the chat channel they submitted from. (The core itself sends
 * the SMS or e-mail.) Telling the user never undoes or fails the decision.
 */
export function withReviewOutcomes(core: AccountCore, notices: UserNotices, logger: Logger): AccountCore {
  return new Proxy(core, {
    get(target, property, receiver) {
      if (property !== 'decideReview') return Reflect.get(target, property, receiver) as unknown;
      const decideReview: AccountCore['decideReview'] = async (input) => {
        const decided = await target.decideReview(input);
        if (decided.ok) {
          await notices
            .reviewDecided(decided.value)
            .catch((error: unknown) => logger.warn({ err: error, reviewId: decided.value.id }, 'review decision not delivered to the chat channel'));
        }
        return decided;
      };
      return decideReview;
    },
  });
}
