import type { HelpdeskModuleOptions } from '../../src/helpdesk/module.js';
import { ATTACKER_IP, fakeDns } from '../helpdesk/email-dns.js';
import { mailClient, startMailSink } from '../helpdesk/mail-support.js';
import { startHelpdesk } from '../helpdesk/support.js';

export const SUPPORT = 'kefu@chsi.com.cn';

/**
 * The help desk with its SMTP listener, an outbound relay that keeps what it is given (the
 * mailbox of whoever the help desk writes to), the fake DNS of email-dns.ts, and two mail
 * clients: `user` connects from the legitimate sender's address, `attacker` from another.
 */
export async function startMailDesk(module: HelpdeskModuleOptions = {}) {
  const sink = await startMailSink();
  const harness = await startHelpdesk({ env: { SMTP_URL: sink.url, SUPPORT_EMAIL: SUPPORT }, module: { mailDnsResolver: fakeDns, ...module } });
  const port = harness.helpdesk.smtpPort!;
  return { ...harness, sink, port, user: mailClient(port), attacker: mailClient(port, ATTACKER_IP) };
}
