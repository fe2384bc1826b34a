// The demo catalog, generated from fixed word lists and a seeded PRNG: every run, on every machine,
// yields exactly the same categories, products, prices, stock and ids.
import { createHash } from 'node:crypto';
import type { CategoryRecord, NewProduct } from '@strangler/catalog-contract';

export const SEED_PRODUCTS_PER_CATEGORY = 100;

export type SeedCategory = CategoryRecord;

/** A catalog product with a fixed id, its category by slug, and its stock per warehouse. */
export interface SeedProduct extends Omit<NewProduct, 'categoryId'> {
  id: string;
  categorySlug: string;
  createdAt: Date;
  stock: { warehouseId: string; quantity: number }[];
}

export const SEED_WAREHOUSES = [
  { id: 'ams', name: 'Amsterdam' },
  { id: 'ber', name: 'Berlin' },
] as const;

/** Demo accounts; the passwords are documented in the README (demo data only). */
export const DEMO_USERS = [
  { email: 'admin@example.com', name: 'Ada Admin', role: 'admin', password: 'admin-demo-password' },
  { email: 'alice@example.com', name: 'Alice Andersen', role: 'customer', password: 'alice-demo-password' },
  { email: 'bob@example.com', name: 'Bob Bakker', role: 'customer', password: 'bob-demo-password' },
] as const;

const NAMESPACE = 'b3f1c2a4-5d6e-4f70-8a91-0c1d2e3f4a5b';

/** RFC 9562 version-5 UUID (SHA-1 of a fixed namespace and the name): same name, same id. */
export function seedUuid(name: string): string {
  const hash = createHash('sha1').update(Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** mulberry32: a tiny deterministic PRNG, seeded per category. */
function prng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface CategoryPlan {
  slug: string;
  name: string;
  description: string;
  code: string;
  nouns: string[];
  adjectives: string[];
  features: string[];
  /** Price range in euros. */
  price: [number, number];
}

const BRANDS = [
  'Nordlys', 'Vireo', 'Kestrel', 'Alder & Co', 'Brightfold', 'Calder', 'Dunmore', 'Elmstead', 'Fjell', 'Granite Peak',
  'Halden', 'Isola', 'Juniper', 'Korra', 'Lumen', 'Marlow', 'Northwind', 'Orla', 'Pell', 'Quarry Lane', 'Rowan', 'Solstice',
  'Tamsin', 'Umbra',
];

const CATEGORIES: CategoryPlan[] = [
  { slug: 'laptops', name: 'Laptops', code: 'LAP', description: 'Portable computers for work, study and play.', nouns: ['Ultrabook', 'Laptop', 'Notebook', 'Convertible Laptop', 'Gaming Laptop', 'Chromebook'], adjectives: ['Slim', 'Pro', 'Air', 'Studio', 'Creator', 'Travel', 'Performance', 'Everyday'], features: ['14-inch anti-glare display.', 'Backlit keyboard with a glass trackpad.', 'Up to 14 hours of battery life.', 'Two USB-C ports with charging.', '16 GB memory and 512 GB SSD.', 'Aluminium unibody under 1.3 kg.'], price: [349, 2499] },
  { slug: 'smartphones', name: 'Smartphones', code: 'PHN', description: 'Phones unlocked for every network.', nouns: ['Smartphone', 'Phone', 'Foldable Phone', 'Compact Phone'], adjectives: ['Lite', 'Plus', 'Max', 'Mini', 'Edge', 'Neo', 'Prime', 'Ultra'], features: ['6.1-inch OLED display at 120 Hz.', 'Triple camera with night mode.', 'Dual SIM and eSIM.', 'Water resistant to IP68.', 'Fast charging to 50% in 20 minutes.', 'Five years of security updates.'], price: [149, 1399] },
  { slug: 'headphones', name: 'Headphones & Audio', code: 'AUD', description: 'Headphones, earbuds and speakers.', nouns: ['Wireless Headphones', 'Earbuds', 'Studio Monitors', 'Bluetooth Speaker', 'Soundbar', 'Over-Ear Headphones'], adjectives: ['Noise-Cancelling', 'Open-Back', 'Sport', 'Portable', 'Hi-Fi', 'Bass', 'Travel', 'Classic'], features: ['Active noise cancelling with transparency mode.', '30 hours of playback per charge.', 'Multipoint Bluetooth 5.3.', 'Memory-foam ear cushions.', 'USB-C and 3.5 mm input.', 'Sweat and splash resistant.'], price: [19, 549] },
  { slug: 'cameras', name: 'Cameras', code: 'CAM', description: 'Cameras, lenses and accessories.', nouns: ['Mirrorless Camera', 'Action Camera', 'Instant Camera', 'Prime Lens', 'Zoom Lens', 'Tripod'], adjectives: ['Compact', 'Full-Frame', 'Rugged', 'Vlog', 'Street', 'Travel', 'Studio', 'Pro'], features: ['24-megapixel sensor with in-body stabilisation.', '4K video at 60 frames per second.', 'Weather-sealed magnesium body.', 'Fast, silent autofocus.', 'Fits in a jacket pocket.', 'Includes a rechargeable battery.'], price: [49, 2899] },
  { slug: 'televisions', name: 'Televisions', code: 'TV', description: 'Televisions and projectors for every room.', nouns: ['OLED TV', 'LED TV', 'QLED TV', 'Projector', 'Smart Display'], adjectives: ['43-inch', '50-inch', '55-inch', '65-inch', '75-inch', 'Cinema', 'Frame', 'Home'], features: ['4K HDR with Dolby Vision.', 'Built-in streaming apps.', 'Three HDMI 2.1 inputs.', 'Low-latency game mode.', 'Slim wall-mount design.', 'Voice remote included.'], price: [229, 3299] },
  { slug: 'kitchen-appliances', name: 'Kitchen Appliances', code: 'KIT', description: 'Small appliances that earn their counter space.', nouns: ['Blender', 'Stand Mixer', 'Air Fryer', 'Toaster', 'Kettle', 'Food Processor', 'Slow Cooker', 'Rice Cooker'], adjectives: ['Compact', 'Digital', 'Stainless', 'Family', 'Professional', 'Retro', 'Smart', 'Quiet'], features: ['Dishwasher-safe parts.', 'Five speed settings and pulse.', 'BPA-free materials.', 'Automatic shut-off.', 'Two-year warranty.', 'Cord storage in the base.'], price: [24, 599] },
  { slug: 'coffee-tea', name: 'Coffee & Tea', code: 'COF', description: 'Beans, leaves and the tools to brew them.', nouns: ['Espresso Machine', 'Burr Grinder', 'Pour-Over Kit', 'French Press', 'Coffee Beans 1 kg', 'Loose Leaf Tea', 'Milk Frother', 'Moka Pot'], adjectives: ['Single-Origin', 'Barista', 'Morning', 'Dark Roast', 'Organic', 'Classic', 'Precision', 'Manual'], features: ['Roasted in small batches.', '15-bar pump and steam wand.', '40 grind settings.', 'Borosilicate glass carafe.', 'Fair-trade certified.', 'Brews four cups in four minutes.'], price: [8, 899] },
  { slug: 'furniture', name: 'Furniture', code: 'FUR', description: 'Tables, chairs and storage built to last.', nouns: ['Dining Table', 'Office Chair', 'Bookshelf', 'Sofa', 'Coffee Table', 'Standing Desk', 'Wardrobe', 'Bar Stool'], adjectives: ['Oak', 'Walnut', 'Scandinavian', 'Industrial', 'Modular', 'Ergonomic', 'Mid-Century', 'Compact'], features: ['Solid wood from managed forests.', 'Assembles in under 30 minutes.', 'Scratch-resistant finish.', 'Supports up to 120 kg.', 'Adjustable height.', 'Ten-year frame warranty.'], price: [39, 1899] },
  { slug: 'lighting', name: 'Lighting', code: 'LGT', description: 'Lamps and smart lighting.', nouns: ['Floor Lamp', 'Desk Lamp', 'Pendant Light', 'LED Strip', 'Smart Bulb 4-Pack', 'Wall Sconce'], adjectives: ['Dimmable', 'Brass', 'Arc', 'Minimal', 'Smart', 'Warm White', 'Industrial', 'Paper'], features: ['Warm-to-cool colour temperature.', 'Works with voice assistants.', 'Energy class A LED.', 'Touch dimmer in the base.', 'Replaceable E27 bulb.', 'Hand-finished shade.'], price: [12, 449] },
  { slug: 'bedding', name: 'Bedding & Bath', code: 'BED', description: 'Sheets, duvets and towels.', nouns: ['Duvet', 'Pillow', 'Sheet Set', 'Bath Towel Set', 'Weighted Blanket', 'Mattress Topper'], adjectives: ['Linen', 'Percale', 'Organic Cotton', 'All-Season', 'Cooling', 'Down-Alternative', 'Hotel', 'Soft'], features: ['Breathable and machine washable.', 'OEKO-TEX certified fabrics.', 'Fits mattresses up to 35 cm deep.', 'Hypoallergenic filling.', 'Pre-washed for softness.', 'Double stitched hems.'], price: [15, 399] },
  { slug: 'garden', name: 'Garden & Outdoor', code: 'GRD', description: 'Tools and furniture for the garden.', nouns: ['Garden Hose', 'Lawn Mower', 'Hedge Trimmer', 'Raised Bed', 'Patio Chair', 'Barbecue Grill', 'Planter'], adjectives: ['Cordless', 'Expandable', 'Cedar', 'Weatherproof', 'Folding', 'Charcoal', 'Compact', 'Heavy-Duty'], features: ['UV and frost resistant.', '40 V battery included.', 'Folds flat for winter storage.', 'Rust-proof steel frame.', 'Tool-free assembly.', 'Drainage holes pre-drilled.'], price: [9, 899] },
  { slug: 'power-tools', name: 'Power Tools', code: 'TLS', description: 'Drills, saws and sanders for the workshop.', nouns: ['Cordless Drill', 'Impact Driver', 'Circular Saw', 'Orbital Sander', 'Jigsaw', 'Angle Grinder', 'Tool Kit'], adjectives: ['18 V', 'Brushless', 'Compact', 'Pro', 'Heavy-Duty', 'Precision', 'Workshop', 'Starter'], features: ['Two batteries and a fast charger.', 'LED work light.', 'Keyless chuck.', 'Variable speed trigger.', 'Carrying case included.', 'Dust extraction port.'], price: [29, 649] },
  { slug: 'bicycles', name: 'Bicycles', code: 'BIK', description: 'City, road and electric bikes and their parts.', nouns: ['City Bike', 'Road Bike', 'E-Bike', 'Gravel Bike', 'Bike Helmet', 'Bike Lock', 'Pannier Bag'], adjectives: ['Commuter', 'Lightweight', 'Carbon', 'Folding', 'Touring', 'Urban', 'All-Weather', 'Reflective'], features: ['Hydraulic disc brakes.', 'Internal 8-speed hub.', 'Integrated front and rear lights.', 'Puncture-resistant tyres.', 'Range up to 100 km.', 'Frame sizes S to XL.'], price: [19, 3499] },
  { slug: 'camping', name: 'Camping & Hiking', code: 'CMP', description: 'Gear for nights outside.', nouns: ['Tent', 'Sleeping Bag', 'Hiking Backpack', 'Camping Stove', 'Headlamp', 'Sleeping Mat', 'Water Filter'], adjectives: ['Ultralight', 'Two-Person', 'Three-Season', 'Alpine', 'Trekking', 'Waterproof', 'Compact', 'Expedition'], features: ['Packs down to the size of a water bottle.', 'Comfort rating to -5 °C.', 'Taped seams and 3000 mm hydrostatic head.', 'Adjustable back system.', 'Rechargeable over USB-C.', 'Weighs under 1 kg.'], price: [9, 699] },
  { slug: 'running-shoes', name: 'Running Shoes', code: 'RUN', description: 'Shoes for road, trail and track.', nouns: ['Running Shoe', 'Trail Shoe', 'Racing Flat', 'Walking Shoe', 'Running Socks 3-Pack'], adjectives: ['Cushioned', 'Stability', 'Lightweight', 'Carbon-Plated', 'Grip', 'Everyday', 'Tempo', 'Waterproof'], features: ['Breathable engineered mesh upper.', 'Responsive foam midsole.', '8 mm heel-to-toe drop.', 'Grippy rubber outsole.', 'Reflective details.', 'Recycled materials.'], price: [12, 249] },
  { slug: 'outerwear', name: 'Outerwear', code: 'OUT', description: 'Jackets and coats for every season.', nouns: ['Rain Jacket', 'Down Jacket', 'Parka', 'Fleece', 'Softshell Jacket', 'Wool Coat'], adjectives: ['Packable', 'Insulated', 'Waterproof', 'Windproof', 'Recycled', 'Hooded', 'Classic', 'Lightweight'], features: ['Fully taped waterproof seams.', '700-fill responsibly sourced down.', 'Two zipped hand pockets.', 'Adjustable hood and cuffs.', 'Packs into its own pocket.', 'PFC-free water repellency.'], price: [29, 499] },
  { slug: 'watches', name: 'Watches', code: 'WAT', description: 'Analogue, automatic and smart watches.', nouns: ['Automatic Watch', 'Smartwatch', 'Dive Watch', 'Chronograph', 'Fitness Tracker', 'Watch Strap'], adjectives: ['Steel', 'Field', 'Minimal', 'Sport', 'Classic', 'Titanium', 'Vintage', 'GPS'], features: ['Sapphire crystal.', 'Water resistant to 100 m.', 'Seven-day battery life.', 'Heart-rate and sleep tracking.', 'Swiss automatic movement.', 'Quick-release strap.'], price: [19, 1299] },
  { slug: 'board-games', name: 'Board Games & Puzzles', code: 'GAM', description: 'Games for family nights and game clubs.', nouns: ['Strategy Game', 'Party Game', 'Jigsaw Puzzle 1000 pcs', 'Card Game', 'Cooperative Game', 'Chess Set'], adjectives: ['Family', 'Deluxe', 'Travel', 'Classic', 'Expert', 'Two-Player', 'Legacy', 'Quick'], features: ['For 2 to 6 players.', 'Plays in 30 to 60 minutes.', 'Ages 10 and up.', 'Illustrated rulebook.', 'Wooden pieces.', 'Expansion-ready.'], price: [9, 149] },
  { slug: 'books', name: 'Books', code: 'BOK', description: 'Fiction, non-fiction and cookbooks.', nouns: ['Novel', 'Cookbook', 'Field Guide', 'Travel Guide', 'Biography', 'Poetry Collection', 'Atlas'], adjectives: ['Illustrated', 'Hardcover', 'Paperback', 'Collected', 'Annotated', 'Pocket', 'Anniversary', 'Updated'], features: ['Printed on FSC paper.', 'Over 300 pages.', 'With a foreword by the author.', 'Includes maps and index.', 'A bestseller in its first year.', 'Sewn binding that lies flat.'], price: [7, 79] },
  { slug: 'pet-supplies', name: 'Pet Supplies', code: 'PET', description: 'Food, beds and toys for cats and dogs.', nouns: ['Dog Bed', 'Cat Tree', 'Dog Leash', 'Cat Litter 10 l', 'Pet Carrier', 'Chew Toy', 'Dry Dog Food 12 kg'], adjectives: ['Orthopaedic', 'Washable', 'Reflective', 'Grain-Free', 'Durable', 'Cosy', 'Travel', 'Natural'], features: ['Removable machine-washable cover.', 'Non-slip base.', 'Vet recommended.', 'Made without artificial colours.', 'Airline approved size.', 'Chew-resistant.'], price: [5, 249] },
];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** A price that ends in .99 or .49 or .00, as shops print them, in cents. */
function shopPrice(rand: () => number, [min, max]: [number, number]): number {
  const euros = Math.floor(min + (max - min) * rand() ** 2);
  const cents = pick(rand, [99, 99, 99, 49, 0]);
  return euros * 100 + cents;
}

const BASE_TIME = Date.UTC(2026, 0, 1);

export function seedCategories(): SeedCategory[] {
  return CATEGORIES.map((c) => ({ id: seedUuid(`category:${c.slug}`), slug: c.slug, name: c.name, description: c.description }));
}

export function seedProducts(): SeedProduct[] {
  const products: SeedProduct[] = [];
  CATEGORIES.forEach((category, c) => {
    const rand = prng(`catalog:${category.slug}`);
    const names = new Set<string>();
    for (let i = 0; i < SEED_PRODUCTS_PER_CATEGORY; i++) {
      let name: string;
      do {
        const model = `${String.fromCharCode(65 + Math.floor(rand() * 26))}${100 + Math.floor(rand() * 900)}`;
        name = `${pick(rand, BRANDS)} ${pick(rand, category.adjectives)} ${pick(rand, category.nouns)} ${model}`;
      } while (names.has(name));
      names.add(name);
      const [first, second] = [pick(rand, category.features), pick(rand, category.features)];
      const description = `${name.split(' ').slice(0, -1).join(' ')}. ${first}${second === first ? '' : ` ${second}`}`;
      const sku = `${category.code}-${String(i + 1).padStart(4, '0')}`;
      products.push({
        id: seedUuid(`product:${sku}`),
        sku,
        name,
        description,
        priceCents: shopPrice(rand, category.price),
        currency: 'EUR',
        categorySlug: category.slug,
        // Interleaved across categories, one every 37 minutes, so "newest" mixes categories.
        createdAt: new Date(BASE_TIME + (i * CATEGORIES.length + c) * 37 * 60_000),
        stock: [
          { warehouseId: 'ams', quantity: 5 + Math.floor(rand() * 146) },
          { warehouseId: 'ber', quantity: Math.floor(rand() * 101) },
        ],
      });
    }
  });
  return products;
}
