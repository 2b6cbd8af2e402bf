export { buildIngress, type Ingress, type IngressDeps } from './ingress';
export { ingressConfigSchema, loadIngressConfig, type IngressConfig } from './config';
