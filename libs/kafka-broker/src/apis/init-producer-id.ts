import { ErrorCode } from '../protocol/error-codes';
import { field, message } from '../protocol/schema';
import { defineApi } from './api';

interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/**
 * InitProducerId v0-v1 for idempotent producers: a fresh producer ID, epoch 0.
 * Transactional IDs are refused, since the broker does not implement
 * transactions; Orderflow gets exactly-once effects from idempotent consumers
 * and a transactional outbox instead.
 */
export const initProducerIdApi = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  request: message('2+', field('transactionalId', 'string', '0+', { nullable: '0+' }), field('transactionTimeoutMs', 'int32', '0+')),
  response: message(
    '2+',
    field('throttleTimeMs', 'int32', '0+'),
    field('errorCode', 'int16', '0+'),
    field('producerId', 'int64', '0+', { default: -1 }),
    field('producerEpoch', 'int16', '0+'),
  ),
  handle(req, _version, ctx) {
    if (req.transactionalId !== null) {
      ctx.broker.logger.warn({ client: ctx.clientId, transactionalId: req.transactionalId }, 'refused transactional producer');
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.broker.producerIds.allocate(), producerEpoch: 0 };
  },
  errorResponse: (_req, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 }),
});
