// The demo's service worker: the hub of examples/service-worker, in scope /www/.
import "../examples/service-worker/sw.js";
