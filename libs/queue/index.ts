export const QUEUE_ENTITIES: (new () => unknown)[] = [];
