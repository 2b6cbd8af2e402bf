export { buildFulfillmentService, FULFILLMENT_GROUP, FULFILLMENT_READS, type FulfillmentService, type FulfillmentServiceDeps } from './fulfillment.service';
export { loadFulfillmentConfig, fulfillmentConfigSchema, type FulfillmentConfig } from './config';
export { TicketSigner } from './adapters/ticket-signer';
