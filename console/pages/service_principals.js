// Risky service principals (workload identities, SPEC 3c): their risk, detections and history,
// and the two verdicts an analyst gives them.

import { api, can, el, listQuery, pageQuery, placeName, show, table } from "../app.js";
import { feedbackToolbar, nextPage, processingState, selection } from "./feedback.js";
import { LEVELS, STATES, filterSelect, filters, historyTable, refreshWhileProcessing } from "./users.js";

export const SERVICE_PRINCIPAL_ACTIONS = [
  {
    label: "Confirm compromised",
    path: "/risky-service-principals/confirm-compromised",
    teaches: "Its risk becomes confirmed compromised and high. Rotate its credentials in the identity provider.",
  },
  {
    label: "Dismiss risk",
    path: "/risky-service-principals/dismiss",
    warning: "Dismissing closes all of its risk: its history stays.",
    teaches: "Teaches nothing: later detections are evaluated as usual.",
  },
];

const link = (s) =>
  el("a", { href: `#/risky-service-principals/${encodeURIComponent(s.id)}` }, s.displayName || s.id);

export async function servicePrincipalsPage(main) {
  const query = pageQuery();
  const params = listQuery(["riskLevel", "riskState", "cursor"]);
  const page = await api("GET", `/risky-service-principals?${params}`);
  const pick = selection("service principals");
  show(
    main,
    el("h1", {}, "Risky service principals"),
    filters("/risky-service-principals", [
      filterSelect("Risk level", "riskLevel", LEVELS, query.get("riskLevel") || ""),
      filterSelect("Risk state", "riskState", STATES, query.get("riskState") || ""),
    ], query),
    feedbackToolbar(SERVICE_PRINCIPAL_ACTIONS, "servicePrincipalIds", pick.selected, () => servicePrincipalsPage(main), can("Risk.Feedback")),
    table("Risky service principals", [
      pick.column,
      { title: "Service principal", cell: link },
      { title: "Application", cell: (s) => s.appId || "" },
      { title: "Risk level", cell: (s) => s.riskLevel },
      { title: "Risk state", cell: (s) => s.riskState },
      { title: "Risk detail", cell: (s) => s.riskDetail },
      { title: "Risk processing state", cell: processingState },
      { title: "Last updated", cell: (s) => s.riskLastUpdatedDateTime || "" },
    ], page.value),
    nextPage(page, "/risky-service-principals", query),
  );
  refreshWhileProcessing(page.value, () => servicePrincipalsPage(main));
}

export async function servicePrincipalPage(main, id) {
  const path = `/risky-service-principals/${encodeURIComponent(id)}`;
  const app = await api("GET", path);
  const detections = await api("GET", `/service-principal-risk-detections?servicePrincipalId=${encodeURIComponent(id)}`);
  const history = await api("GET", `${path}/history`);
  const rerender = () => servicePrincipalPage(main, id);
  show(
    main,
    el("h1", {}, `Service principal ${app.displayName || app.id}`),
    el(
      "p",
      {},
      `Application ${app.appId || "unknown"}. Risk level ${app.riskLevel}, risk state ${app.riskState} (${app.riskDetail}). `,
      "Risk processing state: ",
      processingState(app),
      ".",
    ),
    feedbackToolbar(SERVICE_PRINCIPAL_ACTIONS, "servicePrincipalIds", () => [app.id], rerender, can("Risk.Feedback")),
    el("h2", {}, "Detections"),
    table("The service principal's detections", [
      { title: "Detection", cell: (d) => d.id },
      { title: "Type", cell: (d) => d.riskEventType },
      { title: "Level", cell: (d) => d.riskLevel },
      { title: "State", cell: (d) => d.riskState },
      { title: "Credentials", cell: (d) => (d.keyIds || []).join(", ") },
      { title: "From", cell: (d) => [d.ipAddress, placeName(d.location)].filter(Boolean).join(", ") },
      { title: "Detected", cell: (d) => d.detectedDateTime },
    ], detections.value),
    el("h2", {}, "History"),
    historyTable("What changed the service principal's risk, newest first", history.value),
  );
  refreshWhileProcessing([app], rerender);
}
