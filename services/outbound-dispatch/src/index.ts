export { buildDispatchService, DISPATCH_GROUP, DISPATCH_READS, type DispatchService, type DispatchServiceDeps } from './outbound-dispatch.service';
export { loadDispatchConfig, dispatchConfigSchema, type DispatchConfig } from './config';
