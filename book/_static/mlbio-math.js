/* Load MathJax (the copy the site serves itself, _static/vendor/mathjax/) only when an equation
 * comes near the screen, so that it never delays the first paint or blocks a phone's main
 * thread while the page loads. mlbio_book.assets puts this script, deferred, on the pages that
 * hold mathematics, with MathJax's configuration (window.MathJax), which asks for MathJax's
 * lazy-typesetting module: MathJax then typesets the equations the reader sees, and every
 * equation before the page is printed.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var mathjaxUrl = new URL("vendor/mathjax/tex-mml-chtml.js", script ? script.src : location.href);
  var requested = false;

  function load() {
    if (requested) {
      return;
    }
    requested = true;
    var tag = document.createElement("script");
    tag.src = mathjaxUrl.href;
    tag.id = "MathJax-script";
    tag.async = true;
    document.head.appendChild(tag);
  }

  // For the site's tests and for readers' scripts: load MathJax now.
  window.mlbioLoadMath = load;

  function start() {
    var equations = document.querySelectorAll(".math");
    if (!equations.length || !("IntersectionObserver" in window)) {
      // Mathematics in notebook outputs only, or an old browser: load once the page is idle.
      window.setTimeout(load, 1000);
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          load();
        }
      },
      { rootMargin: "600px 0px" }
    );
    equations.forEach(function (equation) {
      observer.observe(equation);
    });
    window.addEventListener("beforeprint", load);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
