/** Group-resource names the backup and restore pipelines treat specially. */

/**
 * CustomResourceDefinitions: restored first, in their own pass, and backed up alongside the custom
 * resources that need them.
 */
export const CRD_GROUP_RESOURCE = "customresourcedefinitions.apiextensions.k8s.io";
