// "How to cite this page" box and redirects of moved section anchors.
// The box's content is generated at build time by mlbio_book.citation from CITATION.cff;
// this script only switches between the page and its sections and copies text to the clipboard.
(function () {
  "use strict";

  var dataNode = document.getElementById("mlbio-cite-data");
  if (!dataNode) {
    return;
  }
  var data = JSON.parse(dataNode.textContent);

  // A section that was renamed or moved to another page: follow it, keeping the address cited.
  function followMovedAnchor() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    if (hash && !document.getElementById(hash) && data.moved[hash]) {
      window.location.replace(data.moved[hash]);
    }
  }
  followMovedAnchor();
  window.addEventListener("hashchange", followMovedAnchor);

  var select = document.getElementById("mlbio-cite-section");
  var text = document.getElementById("mlbio-cite-text");
  var url = document.getElementById("mlbio-cite-url");
  var bibtex = document.getElementById("mlbio-cite-bibtex");
  var status = document.querySelector(".mlbio-cite-status");

  function show(key) {
    var entry = data.entries[key] || data.entries[""];
    text.textContent = entry.text;
    url.textContent = entry.url;
    url.setAttribute("href", entry.url);
    bibtex.textContent = entry.bibtex;
    status.textContent = "";
  }

  // Pre-select the section the reader arrived at (or clicked the permalink of).
  function fromHash() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    if (Object.prototype.hasOwnProperty.call(data.entries, hash)) {
      select.value = hash;
      show(hash);
    }
  }

  function fallbackCopy(value) {
    var area = document.createElement("textarea");
    area.value = value;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copy(value) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(value).catch(function () {
        return fallbackCopy(value);
      });
    }
    return fallbackCopy(value);
  }

  var labels = { text: "Citation", bibtex: "BibTeX entry", url: "Address" };
  document.querySelectorAll(".mlbio-cite-copy").forEach(function (button) {
    button.addEventListener("click", function () {
      var what = button.getAttribute("data-copy");
      var entry = data.entries[select.value] || data.entries[""];
      copy(entry[what]).then(
        function () {
          status.textContent = labels[what] + " copied to the clipboard.";
        },
        function () {
          status.textContent = "Copying failed: select the text and copy it by hand.";
        }
      );
    });
  });

  // Clicking a heading's permalink also copies the section's stable, public address.
  var toast = document.querySelector(".mlbio-cite-toast");
  var toastTimer = null;
  function flash(message) {
    toast.textContent = message;
    toast.classList.add("mlbio-cite-toast-visible");
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () {
      toast.classList.remove("mlbio-cite-toast-visible");
      toast.textContent = "";
    }, 2500);
  }
  document.querySelectorAll("a.headerlink").forEach(function (link) {
    var id = decodeURIComponent((link.getAttribute("href") || "").replace(/^#/, ""));
    var key = id === data.page_label ? "" : id;
    if (!Object.prototype.hasOwnProperty.call(data.entries, key)) {
      return;
    }
    link.setAttribute("title", "Link to this section (a click also copies its address)");
    link.addEventListener("click", function () {
      var what = key ? "section “" + data.titles[key] + "”" : "page";
      copy(data.entries[key].url).then(
        function () {
          flash("Address of this " + what + " copied.");
        },
        function () {}
      );
    });
  });

  select.addEventListener("change", function () {
    show(select.value);
  });
  window.addEventListener("hashchange", fromHash);
  document.querySelectorAll(".mlbio-cite [hidden]").forEach(function (node) {
    node.hidden = false;
  });
  fromHash();
})();
