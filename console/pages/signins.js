// Risky sign-ins, with the sign-in feedback actions.

import { api, can, el, listQuery, pageQuery, placeName, show, table } from "../app.js";
import { SIGN_IN_ACTIONS, feedbackToolbar, nextPage, processingState, selection } from "./feedback.js";
import { filterSelect, filters, refreshWhileProcessing } from "./users.js";

const STATES = ["", "atRisk", "confirmedCompromised", "confirmedSafe", "dismissed", "remediated", "none"];

export async function signInsPage(main) {
  const query = pageQuery();
  const params = listQuery(["userId", "riskState", "cursor"]);
  const page = await api("GET", `/risky-signins?${params}`);
  const pick = selection("sign-ins");
  show(main, 
    el("h1", {}, "Risky sign-ins"),
    filters("/risky-signins", [
      el("label", {}, "User", el("input", { name: "userId", value: query.get("userId") || "" })),
      filterSelect("Risk state", "riskState", STATES, query.get("riskState") || ""),
    ], query),
    feedbackToolbar(SIGN_IN_ACTIONS, "signInIds", pick.selected, () => signInsPage(main), can("Risk.Feedback")),
    table("Risky sign-ins", [
      pick.column,
      { title: "Sign-in", cell: (s) => s.id },
      { title: "User", cell: (s) => el("a", { href: `#/risky-users/${encodeURIComponent(s.userId)}` }, s.userId) },
      { title: "When", cell: (s) => s.createdDateTime },
      { title: "IP address", cell: (s) => s.ipAddress || "" },
      { title: "Location", cell: (s) => placeName(s.location) },
      { title: "Application", cell: (s) => s.appDisplayName || "" },
      { title: "Risk level (aggregated)", cell: (s) => s.riskLevelAggregated },
      { title: "Risk state", cell: (s) => s.riskState },
      { title: "Risk processing state", cell: processingState },
    ], page.value),
    nextPage(page, "/risky-signins", query),
  );
  refreshWhileProcessing(page.value, () => signInsPage(main));
}
