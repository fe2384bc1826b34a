export { loadManifests, parseManifest, parseServices, validateManifestSet, ManifestError, MANIFEST_DIR, SERVICES_FILE, type LoadedManifest } from './load-manifests.js';
export { manifestSchema, routeSchema, servicesSchema, stageSchema, stagesSchema, METHODS, STAGES, type Manifest, type RouteSpec, type ServiceRegistry, type Stage } from './manifest-schema.js';
export { newServes, positionFromFlag, SAFE_METHODS, positionOf, rolloutOf, type HeldFlag, type Position } from './position.js';
export { compareSchema, guardSchema, type CompareSettings, type GuardSettings } from './guard-schema.js';
export { formatJsonPath, generalise, matchesJsonPath, parseJsonPath, type PathSegment } from './json-path.js';
