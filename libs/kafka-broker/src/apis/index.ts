import type { AnyApi } from './api';
import { apiVersionsApi } from './api-versions';
import { createTopicsApi } from './create-topics';
import { deleteGroupsApi } from './delete-groups';
import { deleteTopicsApi } from './delete-topics';
import { describeConfigsApi } from './describe-configs';
import { describeGroupsApi } from './describe-groups';
import { describeTopicPartitionsApi } from './describe-topic-partitions';
import { fetchApi } from './fetch';
import { findCoordinatorApi } from './find-coordinator';
import { heartbeatApi } from './heartbeat';
import { initProducerIdApi } from './init-producer-id';
import { joinGroupApi } from './join-group';
import { leaveGroupApi } from './leave-group';
import { listGroupsApi } from './list-groups';
import { listOffsetsApi } from './list-offsets';
import { metadataApi } from './metadata';
import { offsetCommitApi } from './offset-commit';
import { offsetFetchApi } from './offset-fetch';
import { produceApi } from './produce';
import { syncGroupApi } from './sync-group';

/** Every API the broker implements; ApiVersions advertises exactly these. */
export function allApis(): Map<number, AnyApi> {
  const apis: AnyApi[] = [
    produceApi,
    fetchApi,
    listOffsetsApi,
    metadataApi,
    offsetCommitApi,
    offsetFetchApi,
    findCoordinatorApi,
    joinGroupApi,
    heartbeatApi,
    leaveGroupApi,
    syncGroupApi,
    describeGroupsApi,
    listGroupsApi,
    createTopicsApi,
    deleteTopicsApi,
    initProducerIdApi,
    describeConfigsApi,
    deleteGroupsApi,
    describeTopicPartitionsApi,
  ];
  const byKey = new Map<number, AnyApi>(apis.map((a) => [a.key, a]));
  const versions = apiVersionsApi(() => [...byKey.values()]);
  byKey.set(versions.key, versions);
  return byKey;
}
