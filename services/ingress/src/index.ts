export { buildIngress, type Ingress, type IngressDeps } from './ingress.service';
export { ingressConfigSchema, loadIngressConfig, type IngressConfig } from './config';
