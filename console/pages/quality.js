// Detection quality: precision per detection type, as a chart first and a table after.

import { api, el, listQuery, pageQuery, show, table } from "../app.js";
import { filters } from "./users.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Horizontal bars of precision (0-100%) per detection type and source. */
function chart(rows) {
  const rowHeight = 28;
  const labelWidth = 280;
  const barWidth = 400;
  const height = rows.length * rowHeight + 10;
  const root = svg("svg", {
    class: "chart",
    role: "img",
    width: labelWidth + barWidth + 70,
    height,
    "aria-label": `Precision per detection type: ${rows
      .map((r) => `${r.riskEventType} ${r.precision === null ? "no verdicts" : Math.round(r.precision * 100) + "%"}`)
      .join(", ")}`,
  });
  rows.forEach((r, i) => {
    const y = i * rowHeight + 5;
    root.append(svg("text", { x: 0, y: y + 17 }, `${r.riskEventType} (${r.source})`));
    const value = r.precision ?? 0;
    root.append(svg("rect", { class: "bar", x: labelWidth, y, width: Math.max(1, value * barWidth), height: rowHeight - 8 }));
    root.append(svg("text", { x: labelWidth + value * barWidth + 6, y: y + 17 },
      r.precision === null ? "no verdicts" : `${Math.round(value * 100)}%`));
  });
  return root;
}

export async function qualityPage(main) {
  const query = pageQuery();
  const params = listQuery(["from", "to"]);
  const report = await api("GET", `/detection-quality?${params}`);
  show(main, 
    el("h1", {}, "Detection quality"),
    filters("/detection-quality", [
      el("label", {}, "From", el("input", { name: "from", type: "date", value: query.get("from") || "" })),
      el("label", {}, "To", el("input", { name: "to", type: "date", value: query.get("to") || "" })),
    ], query),
    el("p", { class: "note" }, `From ${report.from} to ${report.to}. Precision: confirmed detections over all with a verdict.`),
    report.value.length ? chart(report.value) : el("p", {}, "No verdicts in this period yet."),
    table("Counts per detection type", [
      { title: "Detection type", cell: (r) => r.riskEventType },
      { title: "Source", cell: (r) => r.source },
      { title: "Precision", cell: (r) => (r.precision === null ? "—" : `${Math.round(r.precision * 100)}%`) },
      ...Object.keys(report.value[0] || {})
        .filter((k) => !["riskEventType", "source", "precision"].includes(k))
        .map((k) => ({ title: k, cell: (r) => String(r[k]) })),
    ], report.value),
  );
}
