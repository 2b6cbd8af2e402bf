export { buildOrderService, ORDER_GROUP, type OrderService, type OrderServiceDeps } from './order.service';
export { loadOrderConfig, orderConfigSchema, type OrderConfig } from './config';
