import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { manifestSchema, servicesSchema, type Manifest, type ServiceRegistry } from './manifest-schema.js';

/** The folder that holds the manifests of this repository. */
export const MANIFEST_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** An invalid manifest: names the file, the field and the reason, so start-up can stop with a clear message. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
    this.name = 'ManifestError';
  }
}

export interface LoadedManifest extends Manifest {
  /** The file it came from, relative to the working directory. */
  file: string;
}

/** Parses and validates one manifest file's text. */
export function parseManifest(text: string, file: string): LoadedManifest {
  const doc = parseDocument(text, { uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line;
    throw new ManifestError(file, line ? `line ${line}` : '(yaml)', firstError.message.split('\n')[0] ?? 'invalid YAML');
  }
  const result = manifestSchema.safeParse(doc.toJS());
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ManifestError(file, issue.path.map(String).join('.') || '(root)', issue.message);
  }
  const expected = basename(file).replace(/\.ya?ml$/, '');
  if (result.data.domain !== expected) {
    throw new ManifestError(file, 'domain', `is "${result.data.domain}" but the file is named ${basename(file)}; name the file after the domain`);
  }
  return { ...result.data, file };
}

/** The registry of known services: `services.yaml` beside the manifests. */
export const SERVICES_FILE = 'services.yaml';

/** Parses and validates the service registry's text. */
export function parseServices(text: string, file: string): ServiceRegistry {
  const doc = parseDocument(text, { uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line;
    throw new ManifestError(file, line ? `line ${line}` : '(yaml)', firstError.message.split('\n')[0] ?? 'invalid YAML');
  }
  const result = servicesSchema.safeParse(doc.toJS());
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ManifestError(file, issue.path.map(String).join('.') || '(root)', issue.message);
  }
  return result.data;
}

/**
 * Loads every `*.yaml` manifest in `dir`, validates each, then checks the set as a whole:
 * one manifest per domain and no route (method + path template) claimed by two domains.
 * When `dir` holds a `services.yaml` registry, every manifest's service must be declared there.
 */
export function loadManifests(dir: string = MANIFEST_DIR): LoadedManifest[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== SERVICES_FILE)
    .sort();
  const manifests = files.map((f) => {
    const path = join(dir, f);
    return parseManifest(readFileSync(path, 'utf8'), relative(process.cwd(), path) || path);
  });
  const servicesPath = join(dir, SERVICES_FILE);
  const registry = existsSync(servicesPath)
    ? parseServices(readFileSync(servicesPath, 'utf8'), relative(process.cwd(), servicesPath) || servicesPath)
    : undefined;
  return validateManifestSet(manifests, registry);
}

/**
 * Checks the manifests as a whole: each domain once, each service known to the registry (when given)
 * and owned by one domain, and no route (method + path template) claimed twice.
 */
export function validateManifestSet(manifests: LoadedManifest[], registry?: ServiceRegistry): LoadedManifest[] {
  const domains = new Map<string, string>();
  const serviceOwner = new Map<string, string>();
  for (const manifest of manifests) {
    const other = domains.get(manifest.domain);
    if (other) throw new ManifestError(manifest.file, 'domain', `"${manifest.domain}" is already declared in ${other}`);
    domains.set(manifest.domain, manifest.file);
    const service = manifest.service;
    if (!service) continue;
    if (registry && !registry.services.includes(service.name)) {
      throw new ManifestError(
        manifest.file,
        'service.name',
        `unknown service "${service.name}"; declare it in ${SERVICES_FILE} (known: ${registry.services.join(', ')})`,
      );
    }
    const owner = serviceOwner.get(service.name);
    if (owner) throw new ManifestError(manifest.file, 'service.name', `"${service.name}" is already the target of domain "${owner}"`);
    serviceOwner.set(service.name, manifest.domain);
  }

  const claimedBy = new Map<string, { manifest: LoadedManifest; index: number }>();
  for (const manifest of manifests) {
    manifest.routes.forEach((route, index) => {
      // Parameter names do not change what a template matches: /a/:id and /a/:sku are the same route.
      const key = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
      const first = claimedBy.get(key);
      if (first && first.manifest.domain !== manifest.domain) {
        throw new ManifestError(
          manifest.file,
          `routes.${index}`,
          `${route.method} ${route.path} is already claimed by domain "${first.manifest.domain}" in ${first.manifest.file} (routes.${first.index}); a route belongs to one domain`,
        );
      }
      if (first) {
        throw new ManifestError(manifest.file, `routes.${index}`, `${route.method} ${route.path} is listed twice (also routes.${first.index})`);
      }
      claimedBy.set(key, { manifest, index });
    });
  }
  return manifests;
}
