import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { TopicError } from '../storage/topic-manager';
import { defineApi } from './api';

interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: Array<{ name: string; errorCode: number }>;
}

/** DeleteTopics v0-v3. The topic's logs and every group's committed offsets for it go with it. */
export const deleteTopicsApi = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>({
  key: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 3,
  request: message('4+', field('topicNames', arrayOf('string'), '0+'), field('timeoutMs', 'int32', '0+')),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '1+'),
    field('responses', arrayOf(struct(field('name', 'string', '0+'), field('errorCode', 'int16', '0+'))), '0+'),
  ),
  async handle(req, _version, ctx) {
    const responses: DeleteTopicsResponse['responses'] = [];
    for (const name of req.topicNames) {
      try {
        ctx.broker.topics.delete(name);
        await ctx.broker.groups.onTopicDeleted(name);
        responses.push({ name, errorCode: ErrorCode.NONE });
      } catch (err) {
        if (!(err instanceof TopicError)) throw err;
        responses.push({ name, errorCode: err.errorCode });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    responses: req.topicNames.map((name) => ({ name, errorCode })),
  }),
});
