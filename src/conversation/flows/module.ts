import type { FeatureModule } from '../../feature-module.js';
import { createBindAccountFlow } from './bind-account.js';
import { createDuplicateIdFlow } from './duplicate-id.js';
import type { FlowDeps } from './flow-kit.js';
import { loadFlowWords } from './flow-words.js';
import { createRecoverPasswordFlow } from './recover-password.js';
import { createRecoverUsernameFlow } from './recover-username.js';

export interface GuidedFlowsOptions {
  /**
   * Path of the account core's registration page below the public URL, linked from the
   * re-registration guide. Default `/core/register` (the embedded core's page); `null` for none.
   */
  registerPath?: string | null;
}

/** The guided flows recover-username, recover-password, duplicate-id and bind-account. */
export function guidedFlowsModule(options: GuidedFlowsOptions = {}): FeatureModule {
  return {
    name: 'guided-flows',
    prepare(context) {
      const deps: FlowDeps = { words: loadFlowWords(context.config.knowledgeDir, context.commands) };
      const registerPath = options.registerPath === undefined ? '/core/register' : options.registerPath;
      const flows = [
        createRecoverUsernameFlow(deps),
        createRecoverPasswordFlow(deps),
        createDuplicateIdFlow(deps, registerPath ? { registerUrl: (publicUrl) => `${publicUrl}${registerPath}` } : {}),
        createBindAccountFlow(deps),
      ];
      for (const flow of flows) context.flows.set(flow.name, flow);
    },
  };
}
