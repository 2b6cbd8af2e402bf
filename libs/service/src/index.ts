export {
  defineService,
  groupIdOf,
  type DefinedService,
  type Opened,
  type Running,
  type ServiceConfig,
  type ServiceConsumer,
  type ServiceDefinition,
  type ServiceIdentity,
  type ServiceKit,
  type ServiceOptions,
  type ServicePrisma,
  type Worker,
} from './define-service';
export { stopInOrder, type StopStep } from './stop-ladder';
