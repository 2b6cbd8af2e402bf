import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi, type AnyApi } from './api';

interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
  throttleTimeMs: number;
}

export const API_VERSIONS_KEY = 18;

/**
 * ApiVersions v0-v3. librdkafka opens with v3 (flexible); a client that asks
 * for a version above 3 gets UNSUPPORTED_VERSION in a v0 body listing what we
 * support, and retries with that, as KIP-511 describes.
 */
export function apiVersionsApi(all: () => readonly AnyApi[]) {
  const listing = (): ApiVersionsResponse['apiKeys'] =>
    all()
      .map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  return defineApi<ApiVersionsRequest, ApiVersionsResponse>({
    key: API_VERSIONS_KEY,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: 3,
    request: message(
      '3+',
      field('clientSoftwareName', 'string', '3+'),
      field('clientSoftwareVersion', 'string', '3+'),
    ),
    response: message(
      '3+',
      field('errorCode', 'int16', '0+'),
      field(
        'apiKeys',
        arrayOf(
          struct(
            field('apiKey', 'int16', '0+'),
            field('minVersion', 'int16', '0+'),
            field('maxVersion', 'int16', '0+'),
          ),
        ),
        '0+',
      ),
      field('throttleTimeMs', 'int32', '1+'),
    ),
    handle: () => ({ errorCode: ErrorCode.NONE, apiKeys: listing(), throttleTimeMs: 0 }),
    errorResponse: (_req, _v, errorCode) => ({ errorCode, apiKeys: listing(), throttleTimeMs: 0 }),
  });
}
