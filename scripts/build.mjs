// Builds the package: Rust → wasm32 (release, size profile) → wasm-bindgen --target web →
// wasm-opt -Oz (binaryen from npm) into pkg/ (steps whose inputs did not change are skipped),
// then js/ + the glue → dist/: one minified ES module per entry with its source map, code shared
// between entries in chunks (so two entries in one app share one instance and one set of classes).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, sep } from "node:path";
import { bin, mtime, root, run } from "./lib.mjs";
import { setup } from "./setup.mjs";

const FEATURES = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
  // The parser's SIMD128 code (.cargo/config.toml builds wasm32 with +simd128).
  "--enable-simd",
];

export function build() {
  setup();
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--quiet"]);
  const raw = join(root, "target", "wasm32-unknown-unknown", "release", "eric_sse.wasm");
  const out = join(root, "pkg", "eric_sse_bg.wasm");
  // The glue's .d.ts lets `tsc` (tsconfig.json, checkJs) type js/ against it.
  const glue = [join(root, "pkg", "eric_sse.d.ts"), ...Object.keys(GLUE_PARTS).map((part) => join(root, "pkg", `eric_sse_${part}.js`))];
  if (!(mtime(out) > mtime(raw) && glue.every((file) => existsSync(file)))) {
    mkdirSync(join(root, "pkg"), { recursive: true });
    run("wasm-bindgen", ["--target", "web", "--out-dir", "pkg", raw]);
    patchGlue(join(root, "pkg", "eric_sse.js"));
    splitGlue(join(root, "pkg", "eric_sse.js"));
    const tmp = join(root, "target", "eric_sse_bg.opt.wasm");
    run(bin("wasm-opt"), ["-Oz", ...(process.env.WASM_NAMES ? ["-g"] : []), ...FEATURES, out, "-o", tmp]);
    copyFileSync(tmp, out);
  }
  bundle();
}

/** The runtime entries (js/entry-<runtime>.js) and the API subset each is bundled with. */
export const RUNTIMES = ["node", "deno", "workerd", "web"];
export const SUBSETS = { "": "./api.js", "-channel": "./api-channel.js", "-client": "./api-client.js" };

/**
 * js/ → dist/ with esbuild (about a tenth of a second, so it always runs): dist/<runtime>.js,
 * dist/<runtime>-channel.js, dist/<runtime>-client.js and dist/redis.js, minified, with source
 * maps holding the sources. A subset entry is its runtime's entry with "./api.js" swapped for
 * the subset's module, written to target/entries/. dist/ sits beside js/ and pkg/, so the
 * entries' "../pkg/eric_sse_bg.wasm" (kept as written) still points at the one .wasm.
 * @returns {import("esbuild").Metafile}
 */
export function bundle() {
  const { buildSync } = createRequire(import.meta.url)("esbuild");
  const generated = join(root, "target", "entries");
  mkdirSync(generated, { recursive: true });
  /** @type {Record<string, string>} */
  const entryPoints = {};
  for (const runtime of RUNTIMES) {
    const source = readFileSync(join(root, "js", `entry-${runtime}.js`), "utf8");
    for (const [suffix, api] of Object.entries(SUBSETS)) {
      if (source.split('from "./api.js"').length !== 2) throw new Error(`js/entry-${runtime}.js must export * from "./api.js" once`);
      const file = join(generated, `${runtime}${suffix}.js`);
      // Absolute paths: target/ may be a link to elsewhere (the packaging test's clean clone
      // shares one), and esbuild resolves from where a file really is.
      const js = `${join(root, "js").split(sep).join("/")}/`;
      writeFileSync(file, source.replace('from "./api.js"', `from "${api}"`).replaceAll('from "./', `from "${js}`));
      entryPoints[`${runtime}${suffix}`] = file;
    }
  }
  const options = {
    absWorkingDir: root,
    outdir: "dist",
    write: false,
    bundle: true,
    format: /** @type {const} */ ("esm"),
    platform: /** @type {const} */ ("neutral"),
    target: "es2022",
    // Identifiers too (the channel entry: 14.2 → 12.7 KB gzipped). What users read keeps its
    // name: exports are named, every exported class says its own (`static get name`, which an
    // error's `name` reads: js/errors.js), and the source maps (shipped) hold the source.
    // keepNames would defeat a user's bundler's tree-shaking.
    minify: true,
    sourcemap: true,
    external: ["*.wasm", "node:*", "@redis/client"],
    metafile: true,
    logLevel: /** @type {const} */ ("warning"),
  };
  const result = buildSync({ ...options, entryPoints, splitting: true, chunkNames: "chunk-[hash]" });
  // Chunks get names that say which entries share them (shared-channel-client-full.js: every
  // entry of those subsets), so they stay put from build to build and a hand-written workerd
  // config can list them.
  const { outputs } = result.metafile;
  /** @param {string} out @param {Set<string>} seen */
  const closure = (out, seen = new Set()) => {
    if (!seen.has(out)) {
      seen.add(out);
      for (const i of outputs[out].imports) if (!i.external) closure(i.path, seen);
    }
    return seen;
  };
  /** @type {Map<string, Set<string>>} chunk → the subsets whose entries load it */
  const reach = new Map();
  for (const [out, { entryPoint }] of Object.entries(outputs)) {
    if (!entryPoint) continue;
    const name = out.slice("dist/".length, -".js".length);
    const subset = name.split("-")[1] ?? "full";
    for (const chunk of closure(out)) {
      if (chunk === out) continue;
      if (!reach.has(chunk)) reach.set(chunk, new Set());
      reach.get(chunk)?.add(subset);
    }
  }
  /** @type {Map<string, string>} "chunk-HASH.js" → "shared-….js" */
  const renamed = new Map();
  for (const [chunk, subsets] of reach) {
    const name = `shared-${[...subsets].sort().join("-")}.js`;
    if ([...renamed.values()].includes(name)) throw new Error(`bundle: two chunks would be named ${name}`);
    renamed.set(chunk.slice("dist/".length), name);
  }
  const rename = (/** @type {string} */ text) => text.replace(/chunk-[A-Z0-9]+\.js/g, (chunk) => renamed.get(chunk) ?? chunk);
  const metafile = JSON.parse(rename(JSON.stringify(result.metafile)));
  const full = result.outputFiles.find((file) => file.path.endsWith(`${sep}node.js`));
  const redis = bundleRedis(buildSync, options, metafile, chunkExports(rename(full?.text ?? ""), ERRORS_CHUNK));
  rmSync(join(root, "dist"), { recursive: true, force: true });
  mkdirSync(join(root, "dist"));
  for (const file of [...result.outputFiles, ...redis.outputFiles]) writeFileSync(rename(file.path), rename(file.text));
  Object.assign(metafile.outputs, redis.outputs);
  writeFileSync(join(root, "target", "dist-meta.json"), JSON.stringify(metafile));
  return metafile;
}

/** The chunk every entry loads, which holds the error classes. */
const ERRORS_CHUNK = "shared-channel-client-full.js";

/**
 * What a chunk's (minified) exports are called outside it: public name → the chunk's export
 * name, read from an entry that imports them from the chunk and exports them again.
 * @param {string} entry the entry's minified text
 * @param {string} chunk the chunk's file name
 * @returns {Map<string, string>}
 */
function chunkExports(entry, chunk) {
  /** @param {string} list "a as b,c" @returns {[string, string][]} [name, as] pairs */
  const pairs = (list) => list.split(",").map((item) => {
    const [name, as = name] = item.trim().split(/\s+as\s+/);
    return [name, as];
  });
  /** @type {Map<string, string>} local → the chunk's export */
  const local = new Map();
  for (const m of entry.matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\/([^"]+)"/g)) {
    if (m[2] === chunk) for (const [name, as] of pairs(m[1])) local.set(as, name);
  }
  /** @type {Map<string, string>} */
  const publicNames = new Map();
  for (const m of entry.matchAll(/export\s*\{([^}]*)\}(?!\s*from)/g)) {
    for (const [name, as] of pairs(m[1])) {
      const exported = local.get(name);
      if (exported !== undefined) publicNames.set(as, exported);
    }
  }
  return publicNames;
}

/**
 * dist/redis.js, built on its own: its error classes come from the chunk every entry loads
 * (one set of classes for the whole package), so that no chunk exists for the errors alone and
 * every entry loads one module fewer (about a millisecond of a cold import in Node 20).
 * @param {typeof import("esbuild").buildSync} buildSync
 * @param {object} options the main build's options
 * @param {import("esbuild").Metafile} main the main build's metafile (chunks renamed)
 * @param {Map<string, string>} errors the chunk's export name of each error class (chunkExports)
 */
function bundleRedis(buildSync, options, main, errors) {
  // A copy of js/backplane/redis.js whose error classes come from the chunk (kept external),
  // by the names the chunk exports them under.
  const source = readFileSync(join(root, "js", "backplane", "redis.js"), "utf8");
  const imports = [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\.\/errors\.js"/g)];
  if (imports.length !== 1) throw new Error('js/backplane/redis.js must import from "../errors.js" once');
  const wanted = imports[0][1].split(",").map((name) => name.trim()).filter(Boolean);
  const missing = wanted.filter((name) => !errors.has(name));
  if (missing.length > 0) throw new Error(`bundle: dist/node.js does not export ${missing.join(", ")} from ${ERRORS_CHUNK}`);
  const clause = wanted.map((name) => `${errors.get(name)} as ${name}`).join(", ");
  const entry = join(root, "target", "entries", "redis.js");
  writeFileSync(entry, source.replace(imports[0][0], `import { ${clause} } from "./${ERRORS_CHUNK}"`));
  const result = buildSync({ ...options, entryPoints: { redis: entry }, external: [...options.external, `./${ERRORS_CHUNK}`] });
  const out = result.outputFiles.find((f) => f.path.endsWith(`${sep}redis.js`));
  const chunkImport = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*"\\./${ERRORS_CHUNK.replaceAll(".", "\\.")}"`, "g");
  const names = [...(out?.text ?? "").matchAll(chunkImport)]
    .flatMap((m) => m[1].split(",").map((n) => n.trim().split(/\s+as\s+/)[0]));
  const exported = new Set(main.outputs[`dist/${ERRORS_CHUNK}`]?.exports ?? []);
  if (names.length === 0 || names.some((n) => !exported.has(n))) {
    throw new Error(`bundle: dist/redis.js imports ${names.join(", ")} from ${ERRORS_CHUNK}, which exports ${[...exported].join(", ")}`);
  }
  // Its import of the chunk, as the main build records chunk imports (so tools walk to it).
  const outputs = result.metafile.outputs;
  for (const output of Object.values(outputs)) {
    output.imports = output.imports.map((i) => (i.path === `./${ERRORS_CHUNK}` ? { path: `dist/${ERRORS_CHUNK}`, kind: i.kind } : i));
  }
  return { outputFiles: result.outputFiles, outputs };
}

/**
 * Two changes to the glue wasm-bindgen generates (pinned in Cargo.toml, so its text is fixed;
 * every pattern must match exactly as often as expected or the build fails), so that a trapped
 * instance can be replaced (js/wasm.js):
 * - it exports `__wbg_get_imports` and `__wbg_finalize_init`, so the loader can instantiate the
 *   module again (the glue's own initSync does it once);
 * - each object is registered for finalization with the instance generation it was made in,
 *   and a finalizer frees only objects of the current instance (otherwise a pointer into the
 *   old instance's memory would be freed in the new one).
 * @param {string} path
 */
export function patchGlue(path) {
  let text = readFileSync(path, "utf8");
  const replace = (pattern, replacement, expected) => {
    const found = text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
    if (found !== expected) {
      throw new Error(`patching the wasm-bindgen glue: expected ${expected} of ${pattern}, found ${found} (did wasm-bindgen change?)`);
    }
    text = text.replace(new RegExp(pattern.source, "g"), replacement);
  };
  replace(/function __wbg_finalize_init\(instance, module\) \{/, "let __wbgGeneration = 0;\nfunction __wbg_finalize_init(instance, module) {\n    __wbgGeneration += 1;", 1);
  replace(/new FinalizationRegistry\(ptr => wasm\.(__wbg_\w+_free)\(ptr, 1\)\)/,
    "/* @__PURE__ */ new FinalizationRegistry(([ptr, generation]) => generation === __wbgGeneration && wasm.$1(ptr, 1))", 3);
  // `using` on an internal Raw* object is never wanted, and these top-level assignments would
  // keep every class in every bundle (a bundler cannot drop a class whose prototype is written).
  replace(/if \(Symbol\.dispose\) Raw\w+\.prototype\[Symbol\.dispose\] = Raw\w+\.prototype\.free;\n/, "", 3);
  replace(/(\w+Finalization)\.register\((\w+), \2\.__wbg_ptr, \2\)/, "$1.register($2, [$2.__wbg_ptr, __wbgGeneration], $2)", 3);
  text += "\nexport { __wbg_get_imports, __wbg_finalize_init };\n";
  writeFileSync(path, text);
  const types = path.replace(/\.js$/, ".d.ts");
  writeFileSync(types, `${readFileSync(types, "utf8")}
/** Added by scripts/build.mjs (patchGlue): the imports object and the instance setup, so the loader can instantiate again. */
export function __wbg_get_imports(): WebAssembly.Imports;
export function __wbg_finalize_init(instance: WebAssembly.Instance, module: WebAssembly.Module): any;
`);
}

/**
 * Which module of the split glue holds each binding wasm-bindgen exports: pkg/eric_sse_<part>.js.
 * Everything else (the instance, the heap, the helpers, init) stays in pkg/eric_sse.js, which
 * every part imports. esbuild puts whole files in chunks, so one glue file would put the
 * channel's bindings in the client's chunk and the parser's and hub's in the channel's.
 */
export const GLUE_PARTS = {
  channel: ["RawChannel", "encodeFrame", "memoryUsage", "setMemoryBudget"],
  parser: ["RawParser"],
  hub: ["RawRoute", "decodeCommand", "matchRoute"],
};

/**
 * Splits the (patched) glue by GLUE_PARTS: each exported class or function, with its
 * FinalizationRegistry, moves to its part's module, which imports what it uses of the rest. A
 * binding in no part, or a moved statement that assigns to the shared state (an imported
 * binding cannot be assigned), fails the build; the one such statement wasm-bindgen writes
 * (releasing a borrowed object's heap slot) becomes a call into the rest.
 * @param {string} path
 */
export function splitGlue(path) {
  const ts = createRequire(import.meta.url)("typescript");
  const text = readFileSync(path, "utf8");
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const partOf = new Map(Object.entries(GLUE_PARTS).flatMap(([part, names]) => names.map((name) => [name, part])));
  /** @type {Record<string, string[]>} */
  const parts = Object.fromEntries(Object.keys(GLUE_PARTS).map((part) => [part, []]));
  const rest = [];
  /** @type {string[]} names the rest declares or imports */
  const declared = [];
  /** @type {Set<string>} names the rest exports already */
  const exportedByRest = new Set();
  for (const statement of file.statements) {
    const source = text.slice(statement.getFullStart(), statement.getEnd());
    /** @type {string[]} */
    let names = [];
    if (ts.isVariableStatement(statement)) {
      names = statement.declarationList.declarations.map((/** @type {any} */ d) => d.name.getText(file));
    } else if (ts.isImportDeclaration(statement)) {
      names = statement.importClause?.namedBindings?.elements?.map((/** @type {any} */ e) => e.name.text) ?? [];
    } else if (ts.isExportDeclaration(statement)) {
      for (const e of statement.exportClause?.elements ?? []) exportedByRest.add(e.name.text);
    } else if (statement.name) {
      names = [statement.name.text];
    }
    const exported = statement.modifiers?.some((/** @type {any} */ m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
    let part;
    if (exported && names.length === 1 && !ts.isImportDeclaration(statement)) {
      part = partOf.get(names[0]);
      if (part === undefined) throw new Error(`splitting the glue: ${names[0]} is in no part of GLUE_PARTS (scripts/build.mjs)`);
    } else if (names.length === 1 && names[0].endsWith("Finalization")) {
      part = partOf.get(names[0].slice(0, -"Finalization".length));
      if (part === undefined) throw new Error(`splitting the glue: ${names[0]} belongs to no class of GLUE_PARTS`);
    }
    if (part === undefined) {
      rest.push(source);
      declared.push(...names);
    } else {
      parts[part].push(source);
    }
  }
  const RELEASE = "heap[stack_pointer++] = undefined;";
  const shared = new Set();
  const out = {};
  for (const [part, sources] of Object.entries(parts)) {
    const body = sources.join("").replaceAll(RELEASE, "__wbg_release_borrowed();");
    const used = declared.filter((name) => new RegExp(`(?<![\\w$.])${name.replaceAll("$", "\\$")}(?![\\w$])`).test(body));
    for (const name of used) {
      const assigned = new RegExp(`(?<![\\w$.])${name}\\s*([-+*/%&|^]?=(?!=)|\\+\\+|--)|(\\+\\+|--)\\s*${name}(?![\\w$])`);
      if (assigned.test(body)) throw new Error(`splitting the glue: the ${part} part assigns to ${name}, which stays shared`);
    }
    if (body.includes("__wbg_release_borrowed()")) used.push("__wbg_release_borrowed");
    for (const name of used) shared.add(name);
    out[part] = `// Split from eric_sse.js by scripts/build.mjs (splitGlue).\nimport { ${used.join(", ")} } from "./eric_sse.js";\n${body}\n`;
  }
  const release = shared.has("__wbg_release_borrowed") ? `\nfunction __wbg_release_borrowed() {\n    ${RELEASE}\n}\n` : "";
  const exports = [...shared].filter((name) => !exportedByRest.has(name));
  writeFileSync(path, `${rest.join("")}\n${release}\nexport { ${exports.join(", ")} };\n`);
  for (const [part, source] of Object.entries(out)) {
    writeFileSync(path.replace(/\.js$/, `_${part}.js`), source);
    // Types: the classes stay declared in eric_sse.d.ts.
    writeFileSync(path.replace(/\.js$/, `_${part}.d.ts`), `export { ${GLUE_PARTS[part].join(", ")} } from "./eric_sse.js";\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) build();
