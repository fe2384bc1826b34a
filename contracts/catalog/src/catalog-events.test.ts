import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { CATALOG_EVENT_TYPES, parseCatalogEvent, productEvent, productRow, type CatalogEvent } from './catalog-events.js';
import { FakeCatalogStore } from './fake-catalog-store.js';

const SCHEMA_DIR = new URL('../events/', import.meta.url);
const schemaFile = (type: string) => `${type.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase()}.v1.schema.json`;

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  const validators = new Map(CATALOG_EVENT_TYPES.map((type) => [type, ajv.compile(JSON.parse(readFileSync(new URL(schemaFile(type), SCHEMA_DIR), 'utf8')) as object)]));
  return (event: unknown) => {
    const validate = validators.get((event as CatalogEvent).type)!;
    return validate(event) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}

function sampleProduct() {
  const store = new FakeCatalogStore();
  const category = store.addCategory('coffee', 'Coffee');
  return store.addProduct({ category, sku: 'COF-1', name: 'Beans', priceCents: 1250, createdAt: new Date('2026-01-02T03:04:05.006Z') });
}

describe('the catalog events and their JSON Schemas (contracts/catalog/events)', () => {
  it('has one schema file per event type, and no other', () => {
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(CATALOG_EVENT_TYPES.map(schemaFile).sort());
  });

  it.each(CATALOG_EVENT_TYPES)('a produced %s envelope validates against its schema', (type) => {
    const product = sampleProduct();
    if (type === 'ProductDeleted') product.active = false;
    const event = productEvent(type, productRow(product), 3, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(validator()(JSON.parse(JSON.stringify(event)))).toEqual([]);
  });

  it('a produced envelope without trace context validates too', () => {
    const event = productEvent('ProductCreated', productRow(sampleProduct()), 1);
    expect(event).not.toHaveProperty('traceparent');
    expect(validator()(JSON.parse(JSON.stringify(event)))).toEqual([]);
  });

  it.each([
    ['a missing data field', (e: Record<string, unknown>) => delete (e.data as Record<string, unknown>).price_cents, '/data must have required property \'price_cents\''],
    ['a version of 0', (e: Record<string, unknown>) => (e.version = 0), '/version must be >= 1'],
    ['a field the envelope does not know', (e: Record<string, unknown>) => (e.extra = 1), ' must NOT have additional properties'],
    ['a price in euros', (e: Record<string, unknown>) => ((e.data as Record<string, unknown>).price_cents = 12.5), '/data/price_cents must be integer'],
  ])('the schema refuses %s', (_name, spoil, error) => {
    const event = JSON.parse(JSON.stringify(productEvent('ProductChanged', productRow(sampleProduct()), 2))) as Record<string, unknown>;
    spoil(event);
    expect(validator()(event)).toContain(error);
  });

  it('the ProductDeleted schema refuses a row that is still active', () => {
    const event = productEvent('ProductDeleted', productRow(sampleProduct()), 2);
    expect(validator()(JSON.parse(JSON.stringify(event)))).toContain('/data/active must be equal to constant');
  });

  it('puts the row in the monolith’s column names with ISO timestamps', () => {
    const product = sampleProduct();
    expect(productRow(product)).toEqual({
      id: product.id,
      sku: 'COF-1',
      name: 'Beans',
      description: '',
      price_cents: 1250,
      currency: 'EUR',
      category_id: product.category.id,
      active: true,
      created_at: '2026-01-02T03:04:05.006Z',
      updated_at: product.updatedAt.toISOString(),
    });
  });
});

describe('parseCatalogEvent', () => {
  const event = productEvent('ProductChanged', productRow(sampleProduct()), 4);

  it('reads the envelope as a JSON object and as a JSON string holding it', () => {
    expect(parseCatalogEvent(Buffer.from(JSON.stringify(event)))).toEqual(event);
    expect(parseCatalogEvent(Buffer.from(JSON.stringify(JSON.stringify(event))))).toEqual(event);
  });

  it.each([
    [null, 'the value is empty (a tombstone is not an event)'],
    ['{"eventId":', 'the value is not JSON'],
    [JSON.stringify({ ...event, type: 'ProductRenamed' }), /^the value is not a catalog event: type: /],
    [JSON.stringify({ ...event, version: 0 }), /^the value is not a catalog event: version: /],
  ])('refuses %s, naming the problem', (value, message) => {
    expect(() => parseCatalogEvent(value)).toThrow(message);
  });
});
