export { buildConsole, type ConsoleService, type ConsoleServiceDeps } from './console-service';
export { consoleConfigSchema, loadConsoleConfig, type ConsoleConfig } from './config';
export { signCustomerLink, verifyCustomerLink, type CustomerLinkClaims, type LinkCheck } from './customer-link';
export { buildGateway, gatewayConfigSchema, loadGatewayConfig, type GatewayConfig } from './gateway';
