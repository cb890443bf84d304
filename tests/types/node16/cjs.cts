// A CommonJS file under node16 rules, which model a Node that cannot require() an ES module.
// Node >= 20.19 can (see nodenext/cjs.cts); TypeScript's node16 mode refuses it, as it should.
// @ts-expect-error TS1479: the package is ESM, imported from CommonJS under node16
import { Channel } from "eric-sse";

export const channel = new Channel();
