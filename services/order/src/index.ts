export { buildOrderService, ORDER_GROUP, ORDER_READS, type OrderService, type OrderServiceDeps } from './order.service';
export { loadOrderConfig, orderConfigSchema, type OrderConfig } from './config';
