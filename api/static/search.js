// Autocomplete for every search box with a data-suggest URL. Suggestions are built with textContent, never markup.
(function () {
  "use strict";
  // the class of each suggestion in the page's language (the page says it in <html lang>)
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;

  function attach(form) {
    var input = form.querySelector("input[data-suggest]");
    var list = form.querySelector(".suggestions");
    if (!input || !list) return;
    var timer = null, active = -1, seq = 0;

    function hide() { list.hidden = true; active = -1; }
    function items() { return list.querySelectorAll("a"); }
    function highlight(index) {
      var links = items();
      if (!links.length) return;
      active = (index + links.length) % links.length;
      links.forEach(function (a, i) { a.classList.toggle("active", i === active); });
    }
    function render(suggestions) {
      list.replaceChildren();
      suggestions.forEach(function (s) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = s.page;
        a.setAttribute("role", "option");
        a.textContent = s.label;
        var typeLabel = zh ? s.type_label_zh : s.type_label;
        if (typeLabel) {
          var tag = document.createElement("span");
          tag.className = "tag";
          tag.textContent = typeLabel;
          a.appendChild(document.createTextNode(" "));
          a.appendChild(tag);
        }
        li.appendChild(a);
        list.appendChild(li);
      });
      active = -1;
      list.hidden = suggestions.length === 0;
    }
    function fetchSuggestions() {
      var q = input.value.trim();
      if (!q) { hide(); return; }
      var mine = ++seq;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (suggestions) { if (mine === seq) render(suggestions); })
        .catch(function () { hide(); });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { highlight(active + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { highlight(active - 1); event.preventDefault(); }
      else if (event.key === "Escape") { hide(); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); items()[active].click(); }
    });
    document.addEventListener("click", function (event) { if (!form.contains(event.target)) hide(); });
  }
  document.querySelectorAll("form.search-box").forEach(attach);
})();
