/** `Sainte-Foy-lès-Lyon` → `sainte-foy-les-lyon`, `Poleymieux-au-Mont-d'Or` → `poleymieux-au-mont-d-or`. */
export function slugify(name: string): string {
  return name
    .replace(/œ/g, 'oe')
    .replace(/Œ/g, 'Oe')
    .replace(/æ/g, 'ae')
    .replace(/Æ/g, 'Ae')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
