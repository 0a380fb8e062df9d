/**
 * Lines that coincide with an earlier one on the same chart (eval_recall equal to eval_accuracy,
 * as on a balanced 2-class run) would be drawn hidden under it: each is dashed and labelled
 * with the line it lies on, so the legend says why only one line shows. Used by the run page's
 * live charts and the Evaluation page's metric history.
 */

/** A line of a chart: its label, its points, whether it is dashed. */
interface Line {
  label: string;
  points?: { x: number; y: number }[];
  dashed?: boolean;
}

/** The lines, each one equal to an earlier line dashed and named after it. */
export function markCoincident<S extends Line>(series: S[]): (S & Line)[] {
  const same = (a: Line, b: Line) => {
    const p = a.points ?? [], q = b.points ?? [];
    return p.length > 0 && p.length === q.length &&
      p.every((v, i) => v.x === q[i].x && v.y === q[i].y);
  };
  return series.map((s, i) => {
    const under = series.slice(0, i).find((e) => same(s, e));
    return under ? { ...s, label: `${s.label} (= ${under.label})`, dashed: true } : s;
  });
}
