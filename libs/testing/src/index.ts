export { waitFor, type WaitForOptions } from './wait-for';
export { uniqueName } from './names';
export { describeSchema, schemaDrift, schemaSql, servicesWithSchemas, type SchemaDrift } from './schema-drift';
export { afterSameKeyMarker, committedPast, type RecordPosition, type SameKeyMarkerOptions } from './same-key-marker';
export { tempDir } from './temp-dir';
export { recordCount } from './record-count';
export { ADMIN_URL as TEST_POSTGRES_ADMIN_URL, createTestDatabase, type TestDatabase } from './database';
export { describeOnEmbeddedBroker, startEmbeddedBroker, startTestBroker, TEST_KAFKA, type TestBroker, type TestKafkaKind } from './broker';
export {
  startFakeStripe,
  type FakeStripe,
  type FakeStripeOptions,
  type RecordedRequest,
  type RequestMatch,
  type InjectedError,
  type StripeEvent,
  type FakePaymentIntent,
  type FakeCheckoutSession,
  type FakeCharge,
  type FakeRefund,
  type FormParams,
  type FormValue,
} from './fake-stripe';
