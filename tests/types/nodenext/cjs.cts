// A CommonJS file under nodenext rules: require("eric-sse") loads the ES module synchronously
// (Node >= 20.19 and 22.12; the package has no top-level await), with the same types.
import { Channel, NoMessagesError } from "eric-sse";
import type { Delivery } from "eric-sse";

const channel = new Channel();
const listener = channel.addListener();
channel.broadcast("tick", { n: 1 });
export const first: Delivery = channel.deliverNext(listener.id);
export const isError = new NoMessagesError("x") instanceof Error;
