// Starts GOV.UK Frontend's components (menus, details, error summary focus…).
// A file, not an inline script, so the Content Security Policy can forbid inline scripts.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
