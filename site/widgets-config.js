// Loaded before the ipywidgets manager (embed-amd.js) on pages that show widgets.

// The manager looks for its fonts beside the RequireJS module it defines, which RequireJS places relative
// to the page. Point that module at the copy this site serves in _static/.
require.config({
  paths: {"@jupyter-widgets/html-manager/dist": new URL("html-manager", document.currentScript.src).href},
});

// The manager typesets widget labels with MathJax 2's API (MathJax.Hub.Queue); this site loads MathJax 3,
// which replaces window.MathJax when its deferred script runs, before the page's load event. The widgets
// are drawn on that event, after this listener (registered first) has translated the call to MathJax 3.
window.addEventListener("load", () => {
  if (window.MathJax && !window.MathJax.Hub) {
    window.MathJax.Hub = {
      Queue(command) {
        const element = command[2];
        window.MathJax.startup.promise.then(() => window.MathJax.typesetPromise([element]));
      },
    };
  }
});
