import { logLevel } from 'kafkajs';
import { kafkajsLogCreator } from './kafkajs-logger';
import type { Logger } from './logger';

describe('kafkajsLogCreator', () => {
  it('routes kafkajs log entries to our logger at the matching level, message last', () => {
    const lines: Array<[string, object, string]> = [];
    const at = (level: string) => (fields: object, msg: string) => void lines.push([level, fields, msg]);
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const log = kafkajsLogCreator(logger)(logLevel.DEBUG);
    log({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { message: 'Connection error', timestamp: 't', broker: 'b:1' } });
    log({ namespace: 'Consumer', level: logLevel.INFO, label: 'INFO', log: { message: 'Starting', timestamp: 't', groupId: 'g' } });
    expect(lines).toEqual([
      ['error', { broker: 'b:1', component: 'kafkajs', namespace: 'Connection' }, 'Connection error'],
      ['info', { groupId: 'g', component: 'kafkajs', namespace: 'Consumer' }, 'Starting'],
    ]);
  });

  it('logs an answer kafkajs retries by itself (a coordinator still loading) at debug, and other protocol errors at error', () => {
    const lines: Array<[string, string]> = [];
    const at = (level: string) => (_fields: object, msg: string) => void lines.push([level, msg]);
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const log = kafkajsLogCreator(logger)(logLevel.DEBUG);
    const response = (error: string) => ({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { message: 'Response GroupCoordinator(key: 10, version: 2)', timestamp: 't', error } });
    log(response('The group coordinator is not available'));
    log(response('Not authorized to access topics: [Topic authorization failed.]'));
    expect(lines).toEqual([
      ['debug', 'Response GroupCoordinator(key: 10, version: 2)'],
      ['error', 'Response GroupCoordinator(key: 10, version: 2)'],
    ]);
  });

  it("logs the idempotent producer's notice about bounded retries at debug, and other warnings at warn", () => {
    const lines: Array<[string, string]> = [];
    const at = (level: string) => (_fields: object, msg: string) => void lines.push([level, msg]);
    const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    const log = kafkajsLogCreator(logger)(logLevel.DEBUG);
    log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees', timestamp: 't' } });
    log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { message: 'Failed to send messages', timestamp: 't' } });
    expect(lines).toEqual([
      ['debug', 'Limiting retries for the idempotent producer may invalidate EoS guarantees'],
      ['warn', 'Failed to send messages'],
    ]);
  });
});
