import { describeAccountCoreContract } from './contract.js';
import { embeddedHarness } from './harness.js';

describeAccountCoreContract('embedded core on in-memory storage', embeddedHarness);
