import { loadConfig } from '../config.js';
import { customMenuFile, loadCustomMenu, toWechatMenu } from '../channels/wechat-oa/custom-menu.js';
import { wechatApiOf } from '../channels/wechat-oa/module.js';
import { createLogger } from '../logging.js';
import { createService } from '../service.js';

/**
 * `npm run wechat-menu` publishes `knowledge/wechat/custom-menu.yaml` as the official account's
 * custom menu; `npm run wechat-menu -- --dry-run` only checks it and prints the JSON WeChat gets.
 */
async function main(): Promise<void> {
  const dryRun = process.argv.includes('--dry-run');
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  // The menu is checked against the flows and topics the assistant really has.
  const service = await createService({ config, logger, listeners: false });
  try {
    const { context } = service;
    const file = customMenuFile(config.knowledgeDir);
    const menu = toWechatMenu(loadCustomMenu(file, { hasFlow: (name) => context.flows.has(name), hasTopic: (id) => context.knowledge.byId.has(id) }));
    if (dryRun) {
      console.log(JSON.stringify(menu, null, 2));
      return;
    }
    const api = wechatApiOf(context);
    if (!api) throw new Error('WECHAT_TOKEN, WECHAT_APPID and WECHAT_APPSECRET must be set to publish the menu');
    await api.createMenu(menu);
    logger.info({ file, buttons: menu.button.length }, 'wechat custom menu published');
  } finally {
    await service.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
