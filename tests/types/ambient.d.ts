// Globals and modules the JS in js/ touches only where they exist (Deno, workers, workerd's
// .wasm module imports): declared loosely for the checkJs pass (tsconfig.json), not shipped.
declare const Deno: any;
declare const WorkerGlobalScope: any;
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
