/**
 * A small hand-made SVG chart (no dependency): left, the ratios to their baselines as grouped bars per
 * object count, with the goals as dashed lines; right, items/s per operation vs object count as lines.
 */

/** One object count's numbers (this run, or an earlier run at another size). */
export interface ChartPoint {
  readonly objects: number;
  readonly ratios: Readonly<Record<string, number>>;
  readonly itemsPerSecond: Readonly<Record<string, number>>;
}

const COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"];
const W = 860;
const H = 340;
const PANEL = { top: 40, bottom: 60, left: 50, width: 330 };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (n: number) =>
  n >= 1000 ? `${(n / 1000).toFixed(n >= 10_000 ? 0 : 1)}k` : n.toFixed(n < 10 ? 1 : 0);
const finite = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n);

const text = (x: number, y: number, s: string, extra = "") =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${esc(s)}</text>`;

const legend = (names: readonly string[], x: number, y: number) =>
  names
    .map(
      (name, i) =>
        `<rect x="${x}" y="${y + i * 14 - 8}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>${text(x + 14, y + i * 14, name)}`,
    )
    .join("");

/** Ratio bars: one group per object count, one bar per ratio; goals dashed. */
const ratioPanel = (points: readonly ChartPoint[], goals: Readonly<Record<string, number>>, x0: number) => {
  const names = [...new Set(points.flatMap((p) => Object.keys(p.ratios)))];
  const values = points.flatMap((p) => Object.values(p.ratios)).filter(finite);
  const max = Math.max(2, ...values, ...Object.values(goals)) * 1.1;
  const plotH = H - PANEL.top - PANEL.bottom;
  const y = (v: number) => PANEL.top + plotH - (v / max) * plotH;
  const groupW = PANEL.width / Math.max(1, points.length);
  const barW = Math.min(28, (groupW - 16) / Math.max(1, names.length));
  const out: string[] = [text(x0, 20, "time ratio to baseline (lower is better)", 'font-weight="bold"')];
  for (let t = 0; t <= max; t += max > 4 ? 1 : 0.5)
    out.push(
      `<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`,
      text(x0 - 6, y(t) + 4, `${t}×`, 'text-anchor="end"'),
    );
  points.forEach((p, g) => {
    const gx = x0 + g * groupW + (groupW - barW * names.length) / 2;
    names.forEach((name, i) => {
      const v = p.ratios[name];
      if (!finite(v)) return;
      const bx = gx + i * barW;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${name}: ${v.toFixed(2)}×`)}</title></rect>`,
        text(bx + barW / 2 - 1, y(v) - 3, v.toFixed(2), 'text-anchor="middle" font-size="9"'),
      );
    });
    out.push(
      text(x0 + g * groupW + groupW / 2, y(0) + 14, `${fmt(p.objects)} objects`, 'text-anchor="middle"'),
    );
  });
  for (const [name, v] of Object.entries(goals))
    out.push(
      `<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y(v)}" y2="${y(v)}" stroke="#999" stroke-dasharray="4 3"/>`,
      text(x0 + PANEL.width + 2, y(v) + 3, `${name} ${v}×`, 'font-size="9" fill="#666"'),
    );
  out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  out.push(legend(names, x0, H - 30 + 0));
  return out.join("");
};

/** items/s vs object count, one line per operation (log-spaced x by rank). */
const throughputPanel = (points: readonly ChartPoint[], x0: number) => {
  const names = [...new Set(points.flatMap((p) => Object.keys(p.itemsPerSecond)))];
  const values = points.flatMap((p) => Object.values(p.itemsPerSecond)).filter(finite);
  const max = Math.max(1, ...values) * 1.1;
  const plotH = H - PANEL.top - PANEL.bottom;
  const y = (v: number) => PANEL.top + plotH - (v / max) * plotH;
  const x = (i: number) =>
    points.length === 1 ? x0 + PANEL.width / 2 : x0 + 20 + (i / (points.length - 1)) * (PANEL.width - 40);
  const out: string[] = [text(x0, 20, "items/s (higher is better)", 'font-weight="bold"')];
  const step = 10 ** Math.floor(Math.log10(max / 2));
  for (let t = 0; t <= max; t += step * (max / step > 8 ? 2 : 1))
    out.push(
      `<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`,
      text(x0 - 6, y(t) + 4, fmt(t), 'text-anchor="end"'),
    );
  names.forEach((name, n) => {
    const color = COLORS[n % COLORS.length] ?? "#000";
    const pts = points
      .map((p, i) => [x(i), p.itemsPerSecond[name]] as const)
      .filter((pt): pt is readonly [number, number] => finite(pt[1]));
    if (pts.length > 1)
      out.push(
        `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([px, v]) => `${px.toFixed(1)},${y(v).toFixed(1)}`).join(" ")}"/>`,
      );
    for (const [px, v] of pts)
      out.push(
        `<circle cx="${px.toFixed(1)}" cy="${y(v).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${name}: ${v.toFixed(0)} items/s`)}</title></circle>`,
      );
  });
  points.forEach((p, i) => {
    out.push(text(x(i), y(0) + 14, `${fmt(p.objects)} objects`, 'text-anchor="middle"'));
  });
  out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  out.push(legend(names.slice(0, 4), x0, H - 30));
  out.push(legend(names.slice(4), x0 + 170, H - 30));
  return out.join("");
};

/** The whole chart as an SVG document. `points` are sorted by object count here. */
export const renderChart = (
  points: readonly ChartPoint[],
  goals: Readonly<Record<string, number>>,
  title: string,
): string => {
  const sorted = [...points].sort((a, b) => a.objects - b.objects);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 40}" viewBox="0 0 ${W} ${H + 40}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
${text(W / 2, H + 32, title, 'text-anchor="middle" fill="#666" font-size="10"')}
${ratioPanel(sorted, goals, PANEL.left)}
${throughputPanel(sorted, PANEL.left + PANEL.width + 80)}
</svg>
`;
};
