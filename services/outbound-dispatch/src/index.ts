export { buildDispatchService, DISPATCH_GROUP, type DispatchService, type DispatchServiceDeps } from './dispatch-service';
export { loadDispatchConfig, dispatchConfigSchema, type DispatchConfig } from './config';
