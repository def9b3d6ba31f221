import { Module } from '@nestjs/common';
import { TerritoryService } from './territory.service.js';

/** Territory domain: collectivities, memberships, instances. Needs the DataSource (PlatformModule, global). */
@Module({
  providers: [TerritoryService],
  exports: [TerritoryService],
})
export class TerritoryModule {}
