/* Segments: a live count of the members a filter finds, as the admin changes it.
   Progressive enhancement: without this file the form's "Count" button does the same.
   The form (data-count-url) is posted, debounced, to the portal's count fragment; an older
   answer arriving after a newer one is dropped. */
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-count-url]").forEach(function (form) {
    var box = document.getElementById(form.getAttribute("data-count-box"));
    if (!box) { return; }
    var timer = null, asked = 0;
    function count() {
      var mine = ++asked;
      var data = new FormData(form);
      data.delete("action");
      fetch(form.getAttribute("data-count-url"), {method: "POST", body: data, credentials: "same-origin",
                                                   headers: {"X-Requested-With": "fetch"}})
        // A redirect is the login page (the session ended): not a count to show.
        .then(function (r) { return r.ok && !r.redirected ? r.text() : Promise.reject(r.status); })
        .then(function (html) { if (mine === asked) { box.innerHTML = html; } })
        .catch(function () { /* keep the last count; the Count button still works */ });
    }
    function later(event) {
      if (event.target.name === "name") { return; }  // the name does not change who is in it
      clearTimeout(timer);
      timer = setTimeout(count, 400);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
  });
});
