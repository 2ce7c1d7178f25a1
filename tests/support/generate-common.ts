/** Pieces the seeded export generators (generate-*.ts) share. */

/** What an importer should find in a generated export: counted while generating, never derived from the importer. */
export interface ExpectedCounts {
  readonly conversations: number;
  readonly active: number;
  readonly inactive: number;
}

export function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** Counts for conversations whose turns may carry one regenerated answer each (left on its own, inactive branch). */
export function countWithRegenerations(list: readonly { readonly turns: readonly { readonly regenerated: string | null }[] }[]): ExpectedCounts {
  return {
    conversations: list.length,
    active: list.reduce((sum, conv) => sum + conv.turns.length, 0),
    inactive: list.reduce((sum, conv) => sum + conv.turns.filter((turn) => turn.regenerated).length, 0),
  };
}
