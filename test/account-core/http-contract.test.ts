import { describeAccountCoreContract } from './contract.js';
import { httpHarness } from './harness.js';

describeAccountCoreContract('HTTP client against the router on a loopback port', httpHarness);
