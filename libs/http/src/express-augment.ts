import type { Logger } from '@orderflow/logging';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set for every request by the app's request-ID middleware. */
      requestId: string;
      /** The app logger bound to this request's ID. */
      log: Logger;
      /** The exact bytes received, set by `rawJson()`/`rawBody()` for signature checks. */
      rawBody?: Buffer;
      /** The instance (tenant) the request's API key belongs to; set by `apiKeyAuth`. */
      instanceId?: string;
    }
  }
}

export {};
