/**
 * What a cloud registry provider (aws/, gcp/, azure/ beside this file) is given to turn the workflow's identity into
 * registry credentials. Each provider folder exports one `CloudCredentialFactory`; the `provider` selection (an input
 * or `auto` by host) picks the factory for a registry host (docs/architecture.md "How to add a registry provider").
 */
export type {
  AudienceTokenSource,
  CloudCredentialContext,
  CloudCredentialFactory,
  CloudCredentialProvider,
  CloudInputs,
  CloudProviderName,
  ProviderSetting,
} from '../../base/index.js';
