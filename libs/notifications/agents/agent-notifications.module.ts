import { Module } from '@nestjs/common';
import { QueueProducerModule } from '#queue';
import { AgentNotificationPreferences } from './agent-notification-preferences.js';

/** Agents' notification preferences (`AgentNotificationPreferences`), for the back office and the worker. Needs PlatformModule. */
@Module({ imports: [QueueProducerModule], providers: [AgentNotificationPreferences], exports: [AgentNotificationPreferences, QueueProducerModule] })
export class AgentNotificationsModule {}
