export type { Database, DatabaseKind } from './database';
export type { DbLogger } from './logger';
export type { SqlExecutor, SqlSession } from './sql-executor';
export { openDatabase, type OpenDatabaseOptions } from './open-database';
export { applyMigrations, MigrationChecksumMismatchError, type MigrationResult } from './migrations';
export { readMigrations, type Migration } from './migration-files';
export type { RawQueryClient, RawSqlClient, TransactionalClient, Tx } from './prisma-client';
export { claimEvents, claimEventsSql, processOnce, type ProcessOnceKey, type ProcessOnceResult } from './process-once';
export { enqueue, enqueueMany, type OutboxMessage, type OutboxRecord } from './outbox';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions, type PublishOutcome } from './outbox-relay';
export {
  discardSetAsideOutbox,
  listSetAsideOutbox,
  requeueSetAsideOutbox,
  setAsideOutboxOf,
  type SetAsideOutboxRow,
  type SetAsideReason,
} from './outbox-set-aside';
export { rawClient, type RawClient } from './raw-client';
export { StatementBatcher, type StatementBatcherOptions } from './statement-batcher';
export { databaseOutage, isDatabaseUnavailable } from './unavailable';
