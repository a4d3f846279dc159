// The shape of the seeded catalogue: categories, which of them come in sizes and colours, and
// where ZIP prefixes are. Shared by the seed and by the cart builder.

/** Categories sold as configurable products (size x colour variants in product_variants). */
export const CONFIGURABLE_CATEGORIES = [
  'apparel', 'shoes', 'outerwear', 'activewear', 'swimwear', 'sleepwear', 'hats', 'gloves',
];

/** Categories sold as simple products (one row in products, no variants). */
export const SIMPLE_CATEGORIES = [
  'books', 'music', 'movies', 'video-games', 'toys', 'baby', 'grocery', 'beverages',
  'health', 'beauty', 'personal-care', 'household', 'kitchen', 'furniture', 'bedding', 'bath',
  'garden', 'tools', 'hardware', 'automotive', 'electronics', 'computers', 'phones', 'cameras',
  'audio', 'office', 'school', 'pet-supplies', 'sports', 'outdoors', 'crafts', 'party',
];

export const CATEGORIES = [...CONFIGURABLE_CATEGORIES, ...SIMPLE_CATEGORIES];

export const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
export const COLORS = ['black', 'white', 'navy', 'red'];

// Rough US ZIP3 ranges: [first prefix, state]. Each prefix belongs to the last range starting at or
// below it. Coarse, but it makes the default address (94107, CA) land where it should.
const ZIP3_RANGES = [
  [0, 'MA'], [28, 'RI'], [30, 'NH'], [39, 'ME'], [50, 'VT'], [60, 'CT'], [70, 'NJ'], [90, 'NY'],
  [150, 'PA'], [197, 'DE'], [200, 'DC'], [206, 'MD'], [220, 'VA'], [247, 'WV'], [270, 'NC'],
  [290, 'SC'], [300, 'GA'], [320, 'FL'], [350, 'AL'], [370, 'TN'], [386, 'MS'], [400, 'KY'],
  [430, 'OH'], [460, 'IN'], [480, 'MI'], [500, 'IA'], [530, 'WI'], [550, 'MN'], [570, 'SD'],
  [580, 'ND'], [590, 'MT'], [600, 'IL'], [630, 'MO'], [660, 'KS'], [680, 'NE'], [700, 'LA'],
  [716, 'AR'], [730, 'OK'], [750, 'TX'], [800, 'CO'], [820, 'WY'], [832, 'ID'], [840, 'UT'],
  [850, 'AZ'], [870, 'NM'], [889, 'NV'], [900, 'CA'], [967, 'HI'], [970, 'OR'], [980, 'WA'],
  [995, 'AK'],
];

export function stateForZipPrefix(prefix) {
  let state = ZIP3_RANGES[0][1];
  for (const [start, code] of ZIP3_RANGES) if (prefix >= start) state = code;
  return state;
}

export const DEFAULT_ADDRESS = Object.freeze({ zip: '94107', state: 'CA' });
