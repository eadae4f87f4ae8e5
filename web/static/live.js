// Live sections: an element with data-live="/live/…" has its HTML replaced by each message of
// that server-sent event stream. Without JavaScript the page is whole; a reload shows news.
// A keyboard user's focus stays on the same link or button after a refresh.
"use strict";
document.querySelectorAll("[data-live]").forEach(function (section) {
  if (!window.EventSource) return;
  var source = new EventSource(section.getAttribute("data-live"));
  source.addEventListener("refresh", function (event) {
    var focused = document.activeElement;
    var key = section.contains(focused) && focused.getAttribute("href");
    section.innerHTML = event.data;
    if (key) {
      var again = section.querySelector('[href="' + CSS.escape(key) + '"]');
      if (again) again.focus();
    }
    section.setAttribute("data-refreshed", String(Date.now()));
  });
});
