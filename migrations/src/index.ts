export { loadManifests, parseManifest, ManifestError, MANIFEST_DIR, type LoadedManifest } from './load-manifests.js';
export { manifestSchema, routeSchema, stageSchema, METHODS, STAGES, type Manifest, type RouteSpec, type Stage } from './manifest-schema.js';
