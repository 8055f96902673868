// Risk detections, including those not linked to a sign-in, and reporting some as a false
// positive or negative (the submission form, with them filled in).

import { api, can, el, go, listQuery, pageQuery, say, show, table } from "../app.js";
import { nextPage, selection } from "./feedback.js";
import { filterSelect, filters } from "./users.js";

const STATES = ["", "atRisk", "confirmedCompromised", "confirmedSafe", "dismissed", "remediated", "none"];

export async function detectionsPage(main) {
  const query = pageQuery();
  const params = listQuery(["userId", "signInId", "riskEventType", "riskState", "cursor"]);
  const page = await api("GET", `/risk-detections?${params}`);
  const pick = selection("detections");
  const report = (category, label) =>
    el("button", {
      type: "button",
      class: "primary",
      disabled: !can("Risk.Feedback"),
      onclick: () => reportDetections(category, pick.selected()),
    }, label);
  show(main, 
    el("h1", {}, "Risk detections"),
    filters("/risk-detections", [
      el("label", {}, "User", el("input", { name: "userId", value: query.get("userId") || "" })),
      el("label", {}, "Detection type", el("input", { name: "riskEventType", value: query.get("riskEventType") || "" })),
      filterSelect("Risk state", "riskState", STATES, query.get("riskState") || ""),
    ], query),
    el("div", { class: "toolbar" },
      report("falsePositive", "Report false positive"),
      report("falseNegative", "Report false negative")),
    table("Risk detections", [
      pick.column,
      { title: "Detection", cell: (d) => d.id },
      { title: "User", cell: (d) => el("a", { href: `#/risky-users/${encodeURIComponent(d.userId)}` }, d.userId) },
      { title: "Type", cell: (d) => d.riskEventType },
      { title: "Source", cell: (d) => d.source },
      { title: "Level", cell: (d) => d.riskLevel },
      { title: "State", cell: (d) => d.riskState },
      { title: "Sign-in", cell: (d) => d.signInId || "not linked to a sign-in" },
      { title: "Detected", cell: (d) => d.detectedDateTime },
    ], page.value),
    nextPage(page, "/risk-detections", query),
  );
}

/** Opens the submission form with the detections and the category filled in. */
function reportDetections(category, ids) {
  if (ids.length === 0) {
    say("Select at least one detection first.");
    return;
  }
  const query = new URLSearchParams({ category, detectionIds: ids.join(",") });
  go(`/submissions?${query}`);
}
