// Check tests/vectors/sealing.json with this Node.js implementation:
//   node vectors.mjs [path/to/sealing.json]
// Prints one line per key and case and a JSON summary; exits 1 if any check fails.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  binding,
  fingerprint,
  LlmregError,
  openSealed,
  parsePrivateKey,
  parsePublicKey,
  sealedKeys,
} from "./llmreg.mjs";

const path = process.argv[2] ?? fileURLToPath(new URL("../../tests/vectors/sealing.json", import.meta.url));
const vectors = JSON.parse(await readFile(path, "utf8"));
const failures = [];
let checked = 0;

function check(name, ok, detail = "") {
  checked += 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ": " + detail : ""}`);
  if (!ok) failures.push(name);
}

for (const key of vectors.keys) {
  const parsed = parsePrivateKey(key.privateKey);
  check(`key ${key.name}: public key`, parsed.publicKey === key.publicKey);
  check(`key ${key.name}: key id`, parsed.keyId === key.keyId && parsePublicKey(key.publicKey).keyId === key.keyId);
}

for (const c of vectors.cases) {
  const where = { product: c.product, env: c.env, modelTag: c.modelTag };
  const sealed = sealedKeys(c.envConfig);
  check(`case ${c.name}: info`, new TextDecoder().decode(binding(c.product, c.env, c.modelTag)) === c.info);
  check(`case ${c.name}: fingerprint`, fingerprint(sealed) === c.envConfig.keyFingerprint);
  try {
    const plaintext = await openSealed(sealed, [c.privateKey], where);
    check(`case ${c.name}: opens`, c.plaintext !== undefined && plaintext === c.plaintext,
      c.plaintext === undefined ? `expected error ${c.error}, but it opened` : "");
  } catch (err) {
    if (!(err instanceof LlmregError)) throw err;
    const kind = err.message.includes("is sealed to key pair") ? "no-matching-key" : "does-not-open";
    check(`case ${c.name}: refused (${kind})`, c.error === kind, c.error ? "" : err.message);
  }
}

console.log(JSON.stringify({ checked, failures }));
process.exitCode = failures.length ? 1 : 0;
