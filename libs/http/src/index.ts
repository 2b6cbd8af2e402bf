import './express-augment';

export { createHttpApp, type HttpAppOptions } from './create-http-app';
export { HttpProblem, type HttpProblemOptions } from './http-problem';
export { rawBody, rawJson, type RawBodyOptions, type RawJsonOptions } from './raw-body';
export { PROBLEM_CONTENT_TYPE } from './problem-handler';
export { REQUEST_ID_HEADER } from './request-id';
export { databaseReadiness, type ReadinessCheck, type CheckOutcome, type Pingable } from './readiness';
export { startHttpServer, type HttpServer, type HttpServerOptions } from './http-server';
export { adminAuth } from './admin-auth';
export { runServiceProcess, type RunnableService, type ServiceHandle, type ServiceProcessOptions } from './run-service';
export { apiKeyAuth, apiKeyLookup, bootstrapApiKeys, hashApiKey, instanceOf, type ApiKeyLookup } from './api-key-auth';
export { apiKeyAdminRoutes, type ApiKeyAdminDeps } from './api-key-admin.routes';
export type { ApiKeyAuditRow, ApiKeyRow, ApiKeyStore, ApiKeyTables } from './api-key-store';
export { findUnstorable, MAX_JSON_DEPTH, textProblem, type TextProblem } from './storable-text';
export { openApiDocument, openApiPath, problemSchema, routesOf, serveOpenApi, type ApiOperation, type ApiResponse, type ApiSecurity, type ApiWebhook } from './openapi';
export { outboxAdminRoutes, type SetAsideOutbox } from './outbox-admin.routes';
export { ORIGIN_ROUTES, ORIGIN_SERVICES, DOCUMENTED_SERVICES, SHARED_ADMIN_SERVICES, qualifiedPaths, routeFor, type OriginRoute, type OriginService } from './origin-routes';
export { originRouter, type OriginRouterOptions } from './origin-router';
