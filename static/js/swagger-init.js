// Starts Swagger UI on /docs from a file, so the page needs no inline script under our CSP.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.dataset.openapiUrl, domNode: root, deepLinking: true });
})();
