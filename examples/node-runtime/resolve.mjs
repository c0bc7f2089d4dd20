// Resolve an agent from a running registry and open its API key, in Node.js:
//
//   LLMREG_URL=https://llmreg.internal LLMREG_TOKEN=<read token of the product> \
//   LLMREG_PRIVATE_KEY=llmreg-sk1-... \
//   node resolve.mjs <product> <agent> <env> [--set name=json]... [--show-key]
//
// Prints the effective config as JSON (camelCase, like `llmreg resolve --json`). The opened API
// key is printed only with --show-key (debugging); otherwise "hasKey" says whether there is one.
// LLMREG_PRIVATE_KEY may list several keys, comma-separated (current and next, during a rotation).

import { LlmregError, resolve } from "./llmreg.mjs";

function usage(message) {
  console.error(`error: ${message}\nusage: node resolve.mjs <product> <agent> <env> [--set name=json]... [--show-key]`);
  process.exit(2);
}

const positional = [];
const overrides = {};
let showKey = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === "--show-key") showKey = true;
  else if (args[i] === "--set") {
    const [name, ...rest] = (args[++i] ?? "").split("=");
    if (!rest.length) usage(`--set ${name}: expected name=value`);
    overrides[name] = JSON.parse(rest.join("="));
  } else positional.push(args[i]);
}
if (positional.length !== 3) usage("expected <product> <agent> <env>");
const [product, agent, env] = positional;
const url = process.env.LLMREG_URL;
const token = process.env.LLMREG_TOKEN;
if (!url || !token) usage("set LLMREG_URL and LLMREG_TOKEN (a read token of the product)");
const privateKeys = (process.env.LLMREG_PRIVATE_KEY ?? "").split(",").map((k) => k.trim()).filter(Boolean);

try {
  const { apiKey, ...cfg } = await resolve({ url, token, product, agent, env, privateKeys, overrides });
  console.log(JSON.stringify({ ...cfg, hasKey: apiKey !== null, ...(showKey ? { apiKey } : {}) }));
} catch (err) {
  if (!(err instanceof LlmregError)) throw err;
  console.error(`error: ${err.message}`);
  process.exit(1);
}
