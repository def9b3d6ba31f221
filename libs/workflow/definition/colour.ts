/**
 * Status colours are `#RRGGBB` so that contrast can be computed (no names, no shorthand, no alpha).
 * A status badge draws its label in black or white, whichever contrasts more with the colour; the
 * better of the two always reaches WCAG AA (4.5:1) for normal text.
 */
export const HEX_COLOUR_PATTERN = '^#[0-9A-Fa-f]{6}$';

/** WCAG relative luminance of a `#RRGGBB` colour. */
export function relativeLuminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio between two `#RRGGBB` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [high, low] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (high + 0.05) / (low + 0.05);
}

/** The text colour (black or white) to draw on a badge of colour `hex`. */
export function badgeTextColour(hex: string): '#000000' | '#FFFFFF' {
  return contrastRatio(hex, '#000000') >= contrastRatio(hex, '#FFFFFF') ? '#000000' : '#FFFFFF';
}

/**
 * Minimum contrast of a badge against a white page (WCAG 1.4.11, non-text contrast: 3:1). Below it the
 * badge's edge is hard to see: validation warns (`COLOUR_LOW_CONTRAST`), it does not refuse.
 */
export const MIN_BADGE_CONTRAST_ON_WHITE = 3;
