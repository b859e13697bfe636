// Marks the page as having JavaScript (and GOV.UK Frontend support) before it is drawn.
// A file, not an inline script, so the Content Security Policy can forbid inline scripts.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
