// Allow and block indicators: the list, and adding one so a false positive does not come back.

import { api, attempt, can, el, say, show, table } from "../app.js";

export async function indicatorsPage(main) {
  const page = await api("GET", "/indicators");
  const manage = can("Indicators.Manage");
  const rerender = () => indicatorsPage(main);
  const form = el("form", {
    class: "stack",
    onsubmit: async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      await attempt(async () => {
        const created = await api("POST", "/indicators", {
          indicatorType: data.indicatorType,
          indicatorValue: data.indicatorValue,
          action: data.action,
          title: data.title,
          description: data.description || undefined,
          expirationDateTime: data.expirationDateTime ? new Date(data.expirationDateTime).toISOString() : undefined,
        });
        say(`Indicator ${created.title} added.`);
        await rerender();
      });
    },
  },
    el("label", {}, "Type", el("select", { name: "indicatorType" },
      ["fileSha256", "fileSha1", "ipAddress", "url", "domainName"].map((t) => el("option", { value: t }, t)))),
    el("label", {}, "Value", el("input", { name: "indicatorValue", required: true })),
    el("label", {}, "Action", el("select", { name: "action" },
      ["allow", "block", "alert"].map((t) => el("option", { value: t }, t)))),
    el("label", {}, "Title", el("input", { name: "title", required: true })),
    el("label", {}, "Description (optional)", el("input", { name: "description" })),
    el("label", {}, "Expires (optional)", el("input", { name: "expirationDateTime", type: "datetime-local" })),
    el("button", { type: "submit", class: "primary", disabled: !manage }, "Add indicator"),
  );
  show(main, 
    el("h1", {}, "Indicators"),
    table("Indicators, newest first", [
      { title: "Title", cell: (i) => i.title },
      { title: "Type", cell: (i) => i.indicatorType },
      { title: "Value", cell: (i) => i.indicatorValue },
      { title: "Action", cell: (i) => i.action },
      { title: "Expires", cell: (i) => i.expirationDateTime || "never" },
      { title: "Created by", cell: (i) => i.createdBy?.displayName || i.createdBy?.id || "" },
      {
        title: "Delete",
        cell: (i) => el("button", {
          type: "button",
          class: "danger",
          disabled: !manage,
          "aria-label": `Delete indicator ${i.title}`,
          onclick: () => attempt(async () => {
            await api("DELETE", `/indicators/${encodeURIComponent(i.id)}`);
            say(`Indicator ${i.title} deleted.`);
            await rerender();
          }),
        }, "Delete"),
      },
    ], page.value),
    el("h2", {}, "Add allow indicator"),
    el("p", { class: "note" }, "An allow indicator dismisses new detections whose evidence matches it."),
    form,
  );
}
