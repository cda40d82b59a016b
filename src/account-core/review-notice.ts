import { maskIdNumber } from '../privacy/mask.js';
import { chinaDay, type CoreContext } from './context.js';
import type { ReviewRecord } from './records.js';

/**
 * Tells the account's owner how their photo review was decided: an SMS to the bound phone, else
 * an e-mail to the activated address, through the core's outbox (the simulated phone and
 * mailbox). A send that fails is logged by the caller's `onError` and never undoes the decision.
 */
export async function notifyReviewDecision(ctx: CoreContext, review: ReviewRecord): Promise<void> {
  if (review.state === 'pending') return;
  const account = await ctx.stores.accounts.get(review.username);
  if (!account) return;
  const template = review.state === 'approved' ? 'review-approved' : 'review-rejected';
  const vars = {
    name: account.name,
    maskedIdNumber: maskIdNumber(review.idNumber),
    reason: review.reason ?? '',
    decidedOn: chinaDay(new Date(review.decidedAt ?? ctx.now().toISOString())),
  };
  if (account.phone) {
    await ctx.outbox.send({ channel: 'sms', to: account.phone, body: ctx.render(`core/sms/${template}`, vars) });
  } else if (account.email && account.emailActivated) {
    await ctx.outbox.send({
      channel: 'email',
      to: account.email,
      subject: ctx.render(`core/email/${template}-subject`, vars),
      body: ctx.render(`core/email/${template}`, vars),
    });
  }
}
