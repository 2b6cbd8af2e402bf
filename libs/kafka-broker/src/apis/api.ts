import type { MessageSchema } from '../protocol/schema';
import type { BrokerContext } from '../broker-context';

/** What a handler knows about the connection a request came in on. */
export interface RequestContext {
  readonly broker: BrokerContext;
  readonly clientId: string | null;
  readonly connectionId: number;
  readonly remoteAddress: string;
  /** Resolves when the connection closes; long polls stop waiting then. */
  readonly closed: Promise<void>;
}

/**
 * One Kafka API: the versions this broker implements and advertises through
 * ApiVersions, the request and response schemas, and its handler.
 */
export interface ApiDefinition<Req = never, Res = unknown> {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
  handle(req: Req, version: number, ctx: RequestContext): Res | Promise<Res>;
  /**
   * The response that fails every part of the request with one error code:
   * used by fault injection and when a handler throws. Mirrors Kafka's
   * AbstractRequest#getErrorResponse.
   */
  errorResponse(req: Req, version: number, errorCode: number): Res;
  /**
   * The handler does everything whose order matters before its first await,
   * so the connection may start the next request while this one waits (for an
   * fsync). Responses still leave in request order.
   */
  readonly pipelined?: boolean;
  /** True when the client expects no response (Produce with acks=0). */
  expectsNoResponse?(req: Req): boolean;
}

/** Lets each API file declare its own request and response types while the registry holds them all. */
export function defineApi<Req, Res>(api: ApiDefinition<Req, Res>): ApiDefinition<Req, Res> {
  return api;
}

/** The registry's view of an API: each handler's own request type is checked in its file, not here. */
export type AnyApi = ApiDefinition<any, any>;
