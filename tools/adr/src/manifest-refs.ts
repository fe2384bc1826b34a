import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';

/** One `adr:` key found in a domain manifest. */
export interface ManifestRef {
  file: string;
  line: number;
  /** Dotted path of the key, e.g. `adr` or `routes.1.adr`. */
  keyPath: string;
  /** The value as written: a number when the manifest is right. */
  value: unknown;
  /** The manifest's `domain`, when it has one. */
  domain: string | undefined;
}

export interface ManifestScan {
  refs: ManifestRef[];
  /** Manifests that are not readable YAML: their references could not be checked. */
  unreadable: { file: string; reason: string }[];
}

/**
 * Finds every `adr` key, at any depth, in every `*.yaml`/`*.yml` file of `dir`.
 *
 * This reads the YAML itself rather than through `@strangler/manifests`' loader: the loader stops at a
 * manifest's first validation error, and the ADR references of a manifest that is wrong in some other
 * way must still be checked (and a future `adr` key deeper in the manifest must be found before the
 * schema learns about it).
 */
export async function scanManifests(dir: string): Promise<ManifestScan> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { refs: [], unreadable: [] };
    throw error;
  }
  const scan: ManifestScan = { refs: [], unreadable: [] };
  for (const name of names.filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = join(dir, name);
    const lineCounter = new LineCounter();
    const doc = parseDocument(await readFile(file, 'utf8'), { lineCounter, uniqueKeys: false });
    if (doc.errors.length > 0) {
      const error = doc.errors[0]!;
      scan.unreadable.push({ file, reason: `line ${error.linePos?.[0]?.line ?? '?'}: ${error.message.split('\n')[0]}` });
      continue;
    }
    const domain = isMap(doc.contents) ? doc.get('domain') : undefined;
    visit(doc, {
      Pair(_key, pair, path) {
        if (!isScalar(pair.key) || pair.key.value !== 'adr') return;
        const keys: string[] = [];
        path.forEach((node, i) => {
          if (isPair(node) && isScalar(node.key)) keys.push(String(node.key.value));
          else if (isSeq(node)) keys.push(String(node.items.indexOf(path[i + 1] ?? pair)));
        });
        keys.push('adr');
        const valueNode = pair.value;
        const offset = (isScalar(valueNode) ? valueNode.range?.[0] : undefined) ?? pair.key.range?.[0] ?? 0;
        scan.refs.push({
          file,
          line: lineCounter.linePos(offset).line,
          keyPath: keys.join('.'),
          value: isScalar(valueNode) ? valueNode.value : (valueNode as { toJSON?: () => unknown } | null)?.toJSON?.() ?? valueNode,
          domain: typeof domain === 'string' ? domain : undefined,
        });
      },
    });
  }
  return scan;
}
