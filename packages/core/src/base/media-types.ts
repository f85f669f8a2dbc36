/** The OCI image-spec and Docker distribution media types D2 reads and writes (docs/registry-client.md). */
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG_MEDIA_TYPE = 'application/vnd.docker.container.image.v1+json';
export const OCTET_STREAM_MEDIA_TYPE = 'application/octet-stream';

/** The same media types by name, as the registry client uses them. */
export const MediaType = {
  OciManifest: OCI_MANIFEST_MEDIA_TYPE,
  OciIndex: OCI_INDEX_MEDIA_TYPE,
  DockerManifest: DOCKER_MANIFEST_MEDIA_TYPE,
  DockerManifestList: DOCKER_MANIFEST_LIST_MEDIA_TYPE,
  OctetStream: OCTET_STREAM_MEDIA_TYPE,
} as const;
