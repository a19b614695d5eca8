// The API resources the controller reads and writes, and their URL paths: @multinic/kube's, named here once.
export { RESOURCES, apiVersionOf, collectionPath, objectPath, type Resource } from '@multinic/kube';
