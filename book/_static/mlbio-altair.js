/* Draw the book's altair charts (written by mlbio.altair) with the Vega bundle that the site
 * serves itself (_static/vendor/vega/vega-bundle.js, 0.9 MB).
 *
 * Each chart is a <div class="mlbio-vega"> holding its Vega-Lite spec as JSON and an empty
 * view. The bundle is fetched only when a chart comes near the screen, so that it never delays
 * the first paint of the page, and pages whose charts are never reached do not pay for it.
 * The div records the outcome in data-rendered ("true" or "error"), which the site's tests read.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var bundleUrl = new URL("vendor/vega/vega-bundle.js", script ? script.src : location.href);
  var bundle = null;

  function loadBundle() {
    if (!bundle) {
      bundle = new Promise(function (resolve, reject) {
        if (typeof window.vegaEmbed === "function") {
          resolve();
          return;
        }
        var tag = document.createElement("script");
        tag.src = bundleUrl.href;
        tag.onload = function () {
          resolve();
        };
        tag.onerror = function () {
          reject(new Error("the Vega library did not load (" + bundleUrl.href + ")"));
        };
        document.head.appendChild(tag);
      });
    }
    return bundle;
  }

  function fail(box, view, err) {
    box.dataset.rendered = "error";
    view.textContent = "This chart could not be drawn: " + (err && err.message ? err.message : err);
    console.error("mlbio chart", box.id, err);
  }

  function draw(box) {
    if (box.dataset.rendered || box.dataset.drawing) {
      return;
    }
    var specNode = box.querySelector("script.mlbio-vega-spec");
    var view = box.querySelector(".mlbio-vega-view");
    if (!specNode || !view) {
      return;
    }
    box.dataset.drawing = "true";
    var options = {
      renderer: "svg",
      // Export as SVG/PNG (made in the browser); no "open in editor" (a third-party site).
      actions: { export: true, source: false, compiled: false, editor: false },
    };
    loadBundle()
      .then(function () {
        return window.vegaEmbed(view, JSON.parse(specNode.textContent), options);
      })
      .then(function () {
        // Vega-Embed's menu button is an icon only: name it for screen readers.
        view.querySelectorAll("details > summary").forEach(function (summary) {
          summary.setAttribute("aria-label", "Chart menu: save as SVG or PNG");
          summary.setAttribute("title", "Save the chart as SVG or PNG");
        });
        box.dataset.rendered = "true";
      })
      .catch(function (err) {
        fail(box, view, err);
      });
  }

  function start() {
    var charts = document.querySelectorAll("div.mlbio-vega");
    if (!("IntersectionObserver" in window)) {
      charts.forEach(draw);
      return;
    }
    var observer = new IntersectionObserver(
      function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            observer.unobserve(entry.target);
            draw(entry.target);
          }
        });
      },
      { rootMargin: "800px 0px" }
    );
    charts.forEach(function (box) {
      observer.observe(box);
    });
    // Printing shows every chart: draw the ones not reached yet.
    window.addEventListener("beforeprint", function () {
      charts.forEach(draw);
    });
  }

  // For the site's tests and for readers' scripts: draw every chart now.
  window.mlbioDrawAllCharts = function () {
    document.querySelectorAll("div.mlbio-vega").forEach(draw);
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
