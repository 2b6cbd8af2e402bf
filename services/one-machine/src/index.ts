export { startOneMachine, type OneMachine, type ServiceName } from './one-machine';
export { localSecrets, type LocalSecrets } from './secrets';
