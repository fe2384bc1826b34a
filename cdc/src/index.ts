export {
  ensureCdcRuntime,
  findJava,
  findMaven,
  javaMajorVersion,
  CdcRuntimeError,
  RUNTIME_PROJECT_DIR,
  type RuntimeArtifacts,
} from './runtime/fetch.js';
export { startCdcRuntime, stopCdcRuntime, runtimePaths, type CdcRuntime, type CdcRuntimeOptions } from './runtime/launcher.js';
