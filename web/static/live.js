// Live sections: an element with data-live="/live/…" has its HTML replaced by each message of
// that server-sent event stream. Without JavaScript the page is whole; a reload shows news.
"use strict";
document.querySelectorAll("[data-live]").forEach(function (section) {
  if (!window.EventSource) return;
  var source = new EventSource(section.getAttribute("data-live"));
  source.addEventListener("refresh", function (event) {
    section.innerHTML = event.data;
    section.setAttribute("data-refreshed", String(Date.now()));
  });
});
