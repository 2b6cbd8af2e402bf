export { buildFulfillmentService, FULFILLMENT_GROUP, type FulfillmentService, type FulfillmentServiceDeps } from './fulfillment.service';
export { loadFulfillmentConfig, fulfillmentConfigSchema, type FulfillmentConfig } from './config';
export { TicketSigner } from './crypto/ticket-signer';
