import { createParser } from "eric-sse";
import { fixture, runOurs } from "./fixtures.mjs";
const { chunks } = fixture("ours", 8);
for (let i = 0; i < 5; i++) runOurs(createParser, chunks);
