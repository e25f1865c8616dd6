// The book's own glue for the ipywidgets embed manager (not vendored). _config.yml loads it between
// require.js and html-manager/embed-amd.js, on the pages that have saved widget state.
(function () {
  // 1. embed-amd.js looks for the fonts its CSS refers to next to the require.js path of its AMD module
  //    "@jupyter-widgets/html-manager/dist/libembed-amd", which by default is relative to the page
  //    (chapters/@jupyter-widgets/html-manager/dist/*.woff2: not found). Point it at html-manager/.
  var here = document.currentScript.src.replace(/[?#].*$/, "").replace(/\/[^/]*$/, "");
  window.requirejs.config({ paths: { "@jupyter-widgets/html-manager/dist": here + "/html-manager" } });

  // 2. The widgets typeset their labels with MathJax 2's MathJax.Hub.Queue(["Typeset", MathJax.Hub, el])
  //    whenever window.MathJax exists; the book runs MathJax 3, which has no Hub ("Cannot read properties
  //    of undefined (reading 'Queue')"). Give it a Hub that hands the element to MathJax 3.
  function addHub() {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function () {
        Array.prototype.forEach.call(arguments, function (job) {
          var element = Array.isArray(job) && job[0] === "Typeset" ? job[2] : null;
          if (!element) return;
          var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
          ready.then(function () {
            if (mj.typesetPromise) return mj.typesetPromise([element]);
          }).catch(function (error) { console.warn("MathJax could not typeset a widget label", error); });
        });
      }
    };
  }
  // MathJax 3 is a deferred script: it replaces the configuration object window.MathJax before
  // DOMContentLoaded, and the embed manager draws the widgets on "load", after both.
  document.addEventListener("DOMContentLoaded", addHub);
  window.addEventListener("load", addHub);
})();
