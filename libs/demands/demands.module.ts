import { Module } from '@nestjs/common';
import { APP_CONFIG, Clock, type AppConfig } from '#core';
import { ATTACHMENT_STORAGE } from './storage/attachment-storage.js';
import { LocalDiskStorage } from './storage/local-disk-storage.js';
import { Tenancy } from './tenancy/tenancy.service.js';

/** Demands' plumbing: tenant transactions and the attachment storage (local disk under STORAGE_DIR). Needs PlatformModule. */
@Module({
  providers: [
    Tenancy,
    {
      provide: ATTACHMENT_STORAGE,
      inject: [APP_CONFIG, Clock],
      useFactory: (config: AppConfig, clock: Clock) => new LocalDiskStorage(config.storage.dir, () => clock.now()),
    },
  ],
  exports: [Tenancy, ATTACHMENT_STORAGE],
})
export class DemandsModule {}
