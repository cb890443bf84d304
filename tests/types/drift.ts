// Fails `tsc -p .` (tsconfig.json at the root) when the declarations and the JS part ways:
// the value exports of index.d.ts must be exactly those of js/api.js, those of init.d.ts exactly
// those of js/entry-web.js, every value js/api-channel.js and js/api-client.js export must be
// declared by channel.d.ts and client.d.ts (which re-export every type too, so the other way is
// checked at run time: scripts/test.mjs, "package export map"), every member a declared
// class promises must exist on the JS class, and signatures must agree: for every exported
// function and every method of an exported class, a call the declaration allows must be one the
// JS (typed by its JSDoc) accepts, and what the JS returns must be what the declaration promises.
import type * as Declared from "../../index.js";
import type * as DeclaredInit from "../../init.js";
import type * as Api from "../../js/api.js";
import type * as Web from "../../js/entry-web.js";
import type * as NodeEntry from "../../js/entry-node.js";
import type * as DeclaredChannel from "../../channel.js";
import type * as ChannelApi from "../../js/api-channel.js";
import type * as DeclaredClient from "../../client.js";
import type * as ClientApi from "../../js/api-client.js";

type Expect<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Instance<C> = C extends abstract new (...args: any) => infer I ? I : never;
/** Declared instance members (and static ones) that the JS class lacks, per class. */
type MissingMembers<D, I> = {
  [K in keyof D & keyof I]: Exclude<keyof Instance<D[K]>, keyof Instance<I[K]>> | Exclude<keyof D[K], keyof I[K] | "prototype">
}[keyof D & keyof I];

type Fn = (...args: any) => any;
/** Names of the exported functions (not classes) of a module. */
type Functions<M> = { [K in keyof M]: M[K] extends abstract new (...args: any) => any ? never : M[K] extends Fn ? K : never }[keyof M];
type Classes<M> = { [K in keyof M]: M[K] extends abstract new (...args: any) => any ? K : never }[keyof M];
/** "Calls as declared work on the JS, and the JS returns what is declared", or the name. */
type Agrees<D, I, K> = D extends Fn ? I extends Fn
  ? Parameters<D> extends Parameters<I> ? ReturnType<I> extends ReturnType<D> ? never : K : K
  : K : never;
/**
 * Skipped: the functions and members below, whose JS parameter or result is a JS class with
 * #private fields: TypeScript compares such classes by identity, so the declared class (the
 * same object at run time) cannot stand for the JS one. Their other parts are still checked
 * by the member check above and by tests/types/usage.ts.
 */
type Nominal = "shareChannel" | "createHub" | "Channel.registerListener" | "DataProcessingChannel.registerListener"
  | "ChannelContainer.add" | "ChannelContainer.get" | "ChannelContainer.create";
type FunctionDrift<D, I> = {
  [K in Functions<D> & keyof I & string]: K extends Nominal ? never : Agrees<D[K], I[K], K>
}[Functions<D> & keyof I & string];
/** Methods whose declared and JS signatures disagree, per class (`on*` event handler
 * properties are nullable properties, not methods). */
type MethodDrift<D, I> = {
  [K in Classes<D> & keyof I & string]: {
    [M in keyof Instance<D[K]> & keyof Instance<I[K]> & string]: M extends `on${string}` ? never
      : `${K}.${M}` extends Nominal ? never : Agrees<Instance<D[K]>[M], Instance<I[K]>[M], `${K}.${M}`>
  }[keyof Instance<D[K]> & keyof Instance<I[K]> & string]
}[Classes<D> & keyof I & string];

export type Checks = [
  Expect<Same<keyof typeof Declared, keyof typeof Api>>,
  Expect<Same<keyof typeof DeclaredInit, keyof typeof Web>>,
  Expect<Same<keyof typeof NodeEntry, keyof typeof Api>>,
  Expect<Same<Exclude<keyof typeof ChannelApi, keyof typeof DeclaredChannel>, never>>,
  Expect<Same<Exclude<keyof typeof ClientApi, keyof typeof DeclaredClient>, never>>,
  Expect<Same<MissingMembers<typeof Declared, typeof Api>, never>>,
  Expect<Same<FunctionDrift<typeof Declared, typeof Api>, never>>,
  Expect<Same<MethodDrift<typeof Declared, typeof Api>, never>>,
];
