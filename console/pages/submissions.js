// Submissions: report a false positive or negative for an item, optionally undoing its
// remediation and allow-listing it in the same call; look one up by id.

import { api, attempt, can, el, pageQuery, say, show } from "../app.js";

// The identifying fields of each item type; the first is required.
const ITEM_FIELDS = {
  emailMessage: ["networkMessageId"],
  emailAttachment: ["fileSha256", "networkMessageId", "fileName"],
  emailUrl: ["url", "networkMessageId"],
  officeFileUrl: ["url"],
  file: ["fileSha256", "fileName", "deviceId"],
  app: ["fileSha256", "fileName"],
};

export async function submissionsPage(main) {
  const query = pageQuery();
  const result = el("div", { id: "submission-result" });
  const list = (value) => value.split(/[\s,]+/).filter(Boolean);
  const form = el("form", {
    class: "stack",
    onsubmit: async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const item = {};
      for (const field of ITEM_FIELDS[data.itemType]) if (data[field]) item[field] = data[field];
      await attempt(async () => {
        const submitted = await api("POST", "/submissions", {
          category: data.category,
          itemType: data.itemType,
          item,
          detectionIds: list(data.detectionIds || ""),
          remediationActionIds: list(data.remediationActionIds || ""),
          notes: data.notes || undefined,
          undoRemediation: data.undoRemediation === "on",
          allowIndicator: data.allowIndicator === "on" ? {} : undefined,
        });
        say(`Submission ${submitted.submission.id} recorded.`);
        result.replaceChildren(el("pre", {}, JSON.stringify(submitted, null, 2)));
      });
    },
  },
    el("label", {}, "Category", el("select", { name: "category" },
      el("option", { value: "falsePositive", selected: query.get("category") !== "falseNegative" }, "False positive"),
      el("option", { value: "falseNegative", selected: query.get("category") === "falseNegative" }, "False negative"))),
    el("label", {}, "Item type", el("select", { name: "itemType" },
      Object.keys(ITEM_FIELDS).map((t) => el("option", { value: t }, t)))),
    el("p", { class: "note" }, "Item: an email needs its networkMessageId, a URL its url, a file, attachment or app its fileSha256."),
    ["networkMessageId", "fileSha256", "fileName", "url", "deviceId"].map((f) =>
      el("label", {}, f, el("input", { name: f }))),
    el("label", {}, "Detection ids (optional, comma-separated)",
      el("input", { name: "detectionIds", value: query.get("detectionIds") || "" })),
    el("label", {}, "Remediation action ids (optional)", el("input", { name: "remediationActionIds" })),
    el("label", {}, "Notes (optional)", el("textarea", { name: "notes", maxlength: "1000" })),
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "undoRemediation" }), "Undo the remediation of these actions (Remediation.Manage)"),
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "allowIndicator" }), "Add allow indicator (Indicators.Manage)"),
    el("button", { type: "submit", class: "primary", disabled: !can("Risk.Feedback") }, "Submit"),
  );
  const lookup = el("form", {
    class: "filters",
    onsubmit: async (e) => {
      e.preventDefault();
      const id = new FormData(lookup).get("id");
      await attempt(async () => {
        const found = await api("GET", `/submissions/${encodeURIComponent(id)}`);
        result.replaceChildren(el("pre", {}, JSON.stringify(found, null, 2)));
      });
    },
  }, el("label", {}, "Submission id", el("input", { name: "id", required: true })),
    el("button", { type: "submit" }, "Look up"));
  show(main, 
    el("h1", {}, "Submissions"),
    el("h2", {}, "Report a false positive or negative"),
    form,
    el("h2", {}, "Find a submission"),
    lookup,
    result,
  );
}
