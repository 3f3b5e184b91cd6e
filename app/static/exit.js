// "Exit this page": leave for a neutral site and replace this page in the browser history.
// Works on click and when Shift is pressed three times within five seconds (GOV.UK pattern).
(function () {
  var link = document.querySelector("[data-exit]");
  if (!link) return;
  var presses = 0;
  var timer = null;
  function leave() {
    document.documentElement.className += " exiting";
    document.title = "Loading";
    window.location.replace(link.href);
  }
  link.addEventListener("click", function (event) {
    event.preventDefault();
    leave();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) return;
    presses += 1;
    clearTimeout(timer);
    timer = setTimeout(function () { presses = 0; }, 5000);
    if (presses >= 3) leave();
  });
})();
// Offline copies of this language's pages (app/offline.py), set up once the page has loaded,
// so the first visit waits for nothing. Pages work the same without it.
// Browsers offer workers on https:// (and this machine) only.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    var lang = document.documentElement.lang;
    navigator.serviceWorker.register("/" + lang + "/sw.js").catch(function () {});
  });
}
