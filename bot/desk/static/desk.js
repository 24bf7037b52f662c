// The desk's only script: live parts of a page ask their URL again and again, with
// the ETag of what they show (If-None-Match); a 304 changes nothing.
"use strict";

function poll(element) {
  const url = element.dataset.live;
  const every = Number(element.dataset.pollMs || 3000);
  let etag = null;
  async function tick() {
    const busy = element.contains(document.activeElement) &&
      document.activeElement.tagName === "SELECT";
    if (!busy) {
      try {
        const headers = etag ? { "If-None-Match": etag } : {};
        const answer = await fetch(url, { headers, credentials: "same-origin", cache: "no-store" });
        if (answer.status === 200) {
          etag = answer.headers.get("ETag");
          element.innerHTML = await answer.text();
          element.dataset.version = String(Number(element.dataset.version || 0) + 1);
        } else if (answer.status === 401) {
          window.location.assign("/desk/signin");
          return;
        }
      } catch (error) {
        // The server is restarting or the network dropped: try again next time.
      }
    }
    window.setTimeout(tick, every);
  }
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live]").forEach(poll);
});
