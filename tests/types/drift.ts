// Fails `tsc -p .` (tsconfig.json at the root) when the declarations and the JS part ways:
// the value exports of index.d.ts must be exactly those of js/api.js, those of init.d.ts exactly
// those of js/entry-web.js, every value js/api-channel.js and js/api-client.js export must be
// declared by channel.d.ts and client.d.ts (which re-export every type too, so the other way is
// checked at run time: scripts/test.mjs, "package export map"), and every member a declared
// class promises must exist on the JS class.
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

export type Checks = [
  Expect<Same<keyof typeof Declared, keyof typeof Api>>,
  Expect<Same<keyof typeof DeclaredInit, keyof typeof Web>>,
  Expect<Same<keyof typeof NodeEntry, keyof typeof Api>>,
  Expect<Same<Exclude<keyof typeof ChannelApi, keyof typeof DeclaredChannel>, never>>,
  Expect<Same<Exclude<keyof typeof ClientApi, keyof typeof DeclaredClient>, never>>,
  Expect<Same<MissingMembers<typeof Declared, typeof Api>, never>>,
];
