/* huiqi: after htmx swaps a self-check step in, move the keyboard focus as a full page load would —
   to the error summary when there is one, else to the step's heading — so screen readers announce it. */
document.addEventListener("htmx:afterSwap", function (event) {
  var root = event.detail && event.detail.target;
  if (!root || !root.querySelector) return;
  var target = root.querySelector("[data-autofocus]") || root.querySelector("h1");
  if (target) {
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: false });
  }
});
