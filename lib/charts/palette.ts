/** Series colours shared by the page's charts (chart.js) and the standalone SVG reports. */
export const PALETTE: readonly string[] = [
  "#0284c7",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#4f46e5",
  "#ca8a04",
  "#db2777",
  "#475569",
];
