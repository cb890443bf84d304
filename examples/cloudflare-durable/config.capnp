# Serves worker.js with plain workerd, after `npm run build`, its objects in any folder:
#   HUB_TOKEN=secret npx workerd serve examples/cloudflare-durable/config.capnp \
#     --socket-addr http=127.0.0.1:8787 --directory-path storage=/path/to/a/folder
# (wrangler does all of this for you: see wrangler.toml.) One Durable Object namespace,
# ChannelObject with SQLite storage, holds every channel (one object each) and the directory;
# its SQLite files go to <folder>/eric-sse-channels/<object id>.sqlite. Module names are project
# paths; a bare "eric-sse" resolves to the one-line module next to the importing module, which
# re-exports the package's workerd entry (which imports the .wasm as a compiled module).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "hub", worker = .hub),
    # Where the objects' SQLite files live: the folder given by --directory-path storage=<folder>.
    (name = "storage", disk = (writable = true)),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "hub") ],
);

const hub :Workerd.Worker = (
  modules = [
    (name = "examples/cloudflare-durable/worker.js", esModule = embed "worker.js"),
    (name = "examples/policy.js", esModule = embed "../policy.js"),
    (name = "examples/cloudflare-durable/eric-sse",
     esModule = "export * from \"../../node_modules/eric-sse/dist/workerd.js\";"),
    (name = "node_modules/eric-sse/dist/workerd.js", esModule = embed "../../dist/workerd.js"),
    (name = "node_modules/eric-sse/dist/shared-full.js", esModule = embed "../../dist/shared-full.js"),
    (name = "node_modules/eric-sse/dist/shared-channel-full.js", esModule = embed "../../dist/shared-channel-full.js"),
    (name = "node_modules/eric-sse/dist/shared-channel-client-full.js", esModule = embed "../../dist/shared-channel-client-full.js"),
    (name = "node_modules/eric-sse/dist/shared-client-full.js", esModule = embed "../../dist/shared-client-full.js"),
    (name = "node_modules/eric-sse/pkg/eric_sse_bg.wasm", wasm = embed "../../pkg/eric_sse_bg.wasm"),
  ],
  durableObjectNamespaces = [
    # uniqueKey names the objects' folder and derives their ids: keep it stable.
    (className = "ChannelObject", uniqueKey = "eric-sse-channels", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "storage"),
  bindings = [
    (name = "CHANNELS", durableObjectNamespace = "ChannelObject"),
    (name = "HUB_TOKEN", fromEnvironment = "HUB_TOKEN"),
    (name = "HISTORY", fromEnvironment = "HISTORY"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["enable_request_signal"],
);
