import { ErrorCode, errorName } from '../protocol/error-codes';
import { field, message } from '../protocol/schema';
import { defineApi } from './api';

interface FindCoordinatorRequest {
  key: string;
  keyType: number;
}

interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

/** Kafka's Node.noNode(), sent with every error. */
const noNode = { nodeId: -1, host: '', port: -1 };

/**
 * FindCoordinator v0-v2. A single broker coordinates every group and every
 * transactional ID, so the answer is always this broker. Like Kafka, a
 * successful answer carries the error message "NONE" (Errors.NONE.message()).
 */
export const findCoordinatorApi = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>({
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  request: message('3+', field('key', 'string', '0-3'), field('keyType', 'int8', '1+', { default: 0 })),
  response: message(
    '3+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0-3'),
    field('errorMessage', 'string', '1-3', { nullable: '1-3', default: null }),
    field('nodeId', 'int32', '0-3'),
    field('host', 'string', '0-3'),
    field('port', 'int32', '0-3'),
  ),
  handle: (req, _version, ctx) => {
    if (req.keyType !== GROUP_KEY_TYPE && req.keyType !== TRANSACTION_KEY_TYPE) {
      return errorResponse(ErrorCode.INVALID_REQUEST);
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: errorName(ErrorCode.NONE),
      nodeId: ctx.broker.settings.nodeId,
      host: ctx.broker.advertised.host,
      port: ctx.broker.advertised.port,
    };
  },
  errorResponse: (_req, _version, errorCode) => errorResponse(errorCode),
});

function errorResponse(errorCode: number): FindCoordinatorResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage: errorName(errorCode), ...noNode };
}
