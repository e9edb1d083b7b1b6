/* Alumnet portal: progressive enhancement only; every page works without this file.
   - a form's problem summary takes the focus, so screen readers and keyboards start there;
   - [data-poll-url] elements refresh their contents from that URL every few seconds (live
     counts and progress), stopping when the fragment says data-done. */
document.addEventListener("DOMContentLoaded", function () {
  var problem = document.getElementById("problem");
  if (problem) { problem.focus(); }
  document.querySelectorAll("[data-poll-url]").forEach(function (box) {
    var every = parseInt(box.getAttribute("data-poll-ms") || "2000", 10);
    var timer = setInterval(function () {
      fetch(box.getAttribute("data-poll-url"), {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          box.innerHTML = html;
          if (box.querySelector("[data-done]")) { clearInterval(timer); }
        })
        .catch(function () { /* keep the last answer; try again next tick */ });
    }, every);
  });
});
