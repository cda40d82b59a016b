import path from 'node:path';
import type { WechatyInterface } from 'wechaty/impls';
import type { PuppetInterface } from 'wechaty-puppet/impls';
import type { FeatureModule } from '../../feature-module.js';
import { repliesToText } from '../wechat-oa/answer.js';
import { answerWechatyMessage, say } from './bridge.js';

export interface WechatyModuleOptions {
  /** A puppet instance to run instead of the one named by WECHATY_PUPPET (tests pass a PuppetMock). */
  puppet?: PuppetInterface;
  maxImageBytes?: number;
}

/** The running bot, for tests that need to wait for it or look at it. */
export interface WechatyHandle {
  bot(): WechatyInterface | undefined;
}

/**
 * A Wechaty bot on the puppet named by WECHATY_PUPPET (its own variables configure it), feeding
 * the same engine as every channel. Agent replies reach the contact through the bot.
 */
export function wechatyModule(options: WechatyModuleOptions = {}): FeatureModule & WechatyHandle {
  let bot: WechatyInterface | undefined;

  return {
    name: 'wechaty',
    bot: () => bot,

    prepare(context) {
      if (!context.config.wechaty && !options.puppet) return;
      context.delivery.register('wechaty', async (contactId, replies) => {
        if (!bot?.isLoggedIn) throw new Error('The Wechaty bot is not logged in');
        const contact = await bot.Contact.find({ id: contactId });
        if (!contact) throw new Error('Wechaty contact not found');
        await say(contact, repliesToText(replies, context.render));
      });
    },

    async install(_app, context, assistant) {
      const wechaty = context.config.wechaty;
      if ((!wechaty && !options.puppet) || !context.listeners) return;
      // Loaded only when a bot is configured: wechaty is large and sets itself up on import.
      const { WechatyBuilder, qrcodeValueToImageUrl } = await import('wechaty');
      const name = wechaty?.name ?? 'chsi-help-assistant';
      // The memory card (the puppet's login session) lives with the rest of our data, not in the working directory.
      const memoryName = path.join(context.config.dataDir, name);
      bot = options.puppet
        ? WechatyBuilder.build({ puppet: options.puppet, name: memoryName })
        : WechatyBuilder.build({ puppet: wechaty!.puppet as 'wechaty-puppet-mock', name: memoryName });
      const { logger } = context;
      bot.on('scan', (qrcode: string, status: number) => {
        // Scanning this code logs the bot in; it is shown to the operator the only way Wechaty offers.
        logger.info({ status, url: qrcodeValueToImageUrl(qrcode) }, 'wechaty: scan the QR code to log in');
      });
      bot.on('login', () => logger.info('wechaty: logged in'));
      bot.on('logout', () => logger.warn('wechaty: logged out'));
      bot.on('error', (error: unknown) => logger.error({ err: error }, 'wechaty error'));
      bot.on('message', (message) => {
        answerWechatyMessage(message, { assistant, render: context.render, logger, maxImageBytes: options.maxImageBytes }).catch((error: unknown) =>
          logger.error({ err: error }, 'wechaty message could not be answered'),
        );
      });
      try {
        await bot.start();
      } catch (error) {
        bot = undefined;
        throw new Error(`Wechaty could not start on puppet ${options.puppet ? '(injected)' : wechaty!.puppet}: ${(error as Error).message}`);
      }
      logger.info({ puppet: options.puppet ? 'injected' : wechaty!.puppet }, 'wechaty bot started');
    },

    async close() {
      const running = bot;
      bot = undefined;
      if (running) await running.stop();
    },
  };
}
