import type { FeatureModule } from '../../feature-module.js';
import { createBindAccountFlow } from './bind-account.js';
import { createDuplicateIdFlow } from './duplicate-id.js';
import type { FlowDeps } from './flow-kit.js';
import { loadFlowWords } from './flow-words.js';
import { createRecoverPasswordFlow } from './recover-password.js';
import { createRecoverUsernameFlow } from './recover-username.js';

export interface GuidedFlowsOptions {
  /** Link the core's registration page (a one-time link) from the re-registration guide. Default true. */
  registrationLink?: boolean;
}

/** The guided flows recover-username, recover-password, duplicate-id and bind-account. */
export function guidedFlowsModule(options: GuidedFlowsOptions = {}): FeatureModule {
  return {
    name: 'guided-flows',
    prepare(context) {
      const deps: FlowDeps = { words: loadFlowWords(context.config.knowledgeDir, context.commands) };
      const flows = [
        createRecoverUsernameFlow(deps),
        createRecoverPasswordFlow(deps),
        createDuplicateIdFlow(deps, { registrationLink: options.registrationLink ?? true }),
        createBindAccountFlow(deps),
      ];
      for (const flow of flows) context.flows.set(flow.name, flow);
    },
  };
}
