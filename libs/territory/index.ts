export const TERRITORY_ENTITIES: (new () => unknown)[] = [];
