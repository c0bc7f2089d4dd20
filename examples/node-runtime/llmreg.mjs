// A second, independent llmreg runtime, in Node.js: key formats, key ids, fingerprints, opening a
// sealed API key, and resolving an agent from the registry's resolved endpoint.
// The formats are specified in docs/wire-format.md; nothing here is shared with the Python code.

import { createHash, createHmac, createPrivateKey, createPublicKey } from "node:crypto";
import { Aes256Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";

const PUBLIC_PREFIX = "llmreg-pk1-";
const PRIVATE_PREFIX = "llmreg-sk1-";
const ENC_LENGTH = 32; // X25519's encapsulated key: the first 32 bytes of a ciphertext

// HPKE base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM.
const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

export class LlmregError extends Error {}

/** base64url without padding -> bytes (refuses padding and other alphabets). */
export function unb64(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new LlmregError("not base64url without padding");
  return new Uint8Array(Buffer.from(text, "base64url"));
}

export function b64(bytes) {
  return Buffer.from(bytes).toString("base64url");
}

function raw32(text, prefix, what) {
  if (!text.startsWith(prefix)) throw new LlmregError(`${what} starts with '${prefix}'`);
  const raw = unb64(text.slice(prefix.length));
  if (raw.length !== 32) throw new LlmregError(`${what} is 32 bytes of X25519 key material`);
  return raw;
}

/** key id = first 16 hex digits of SHA-256("llmreg-kid1|" || raw public key). */
export function keyIdOf(rawPublic) {
  return createHash("sha256")
    .update(Buffer.concat([Buffer.from("llmreg-kid1|"), Buffer.from(rawPublic)]))
    .digest("hex")
    .slice(0, 16);
}

// PKCS#8 / SPKI wrappers of a raw X25519 key (RFC 8410), to let node:crypto derive the public key.
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519_LENGTH = 44;

/** An environment's private key text -> {rawPrivate, rawPublic, publicKey, keyId}. */
export function parsePrivateKey(text) {
  const rawPrivate = raw32(text, PRIVATE_PREFIX, "a private key");
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519, Buffer.from(rawPrivate)]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  if (spki.length !== SPKI_X25519_LENGTH) throw new LlmregError("not an X25519 key");
  const rawPublic = new Uint8Array(spki.subarray(spki.length - 32));
  return {
    rawPrivate,
    rawPublic,
    publicKey: PUBLIC_PREFIX + b64(rawPublic),
    keyId: keyIdOf(rawPublic),
  };
}

export function parsePublicKey(text) {
  const rawPublic = raw32(text, PUBLIC_PREFIX, "a public key");
  return { rawPublic, keyId: keyIdOf(rawPublic) };
}

/** The HPKE info: binds a ciphertext to one product/env/model record. */
export function binding(product, env, modelTag) {
  return new TextEncoder().encode(`llmreg/v1|${product}|${env}|${modelTag}`);
}

/** The env's ciphertexts in their order: sealedKey, then nextSealedKey (during a rotation). */
export function sealedKeys(envConfig) {
  return ["sealedKey", "nextSealedKey"].map((k) => envConfig[k]).filter(Boolean);
}

/** fp1: HMAC-SHA256(key "llmreg-fp1", ciphertexts joined by "|"), first 16 hex digits. */
export function fingerprint(sealed) {
  const mac = createHmac("sha256", "llmreg-fp1");
  sealed.forEach((s, i) => {
    if (i) mac.update("|");
    mac.update(unb64(s.ciphertext));
  });
  return "fp1:" + mac.digest("hex").slice(0, 16);
}

/**
 * Open the API key of one model env with whichever of `privateKeys` (texts) it was sealed to:
 * the ciphertext whose keyId is the key id of a private key held.
 */
export async function openSealed(sealed, privateKeys, { product, env, modelTag }) {
  const held = new Map(privateKeys.map((t) => [parsePrivateKey(t).keyId, t]));
  const match = sealed.find((s) => held.has(s.keyId));
  if (!match) {
    throw new LlmregError(
      `the API key of ${product}/${env}/${modelTag} is sealed to key pair(s) ` +
        `${sealed.map((s) => s.keyId).join(", ")}, not to the private key(s) given: ` +
        `pass the private key of environment '${env}'`,
    );
  }
  const { rawPrivate } = parsePrivateKey(held.get(match.keyId));
  const data = unb64(match.ciphertext);
  try {
    const recipientKey = await suite.kem.importKey("raw", rawPrivate.slice().buffer, false);
    const plaintext = await suite.open(
      {
        recipientKey,
        enc: data.slice(0, ENC_LENGTH).buffer, // the sender's ephemeral public key
        info: binding(product, env, modelTag).buffer,
      },
      data.slice(ENC_LENGTH).buffer, // the AEAD ciphertext and its tag
    );
    return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  } catch {
    throw new LlmregError(
      `the sealed API key of ${product}/${env}/${modelTag} does not open: it was altered, or ` +
        "copied from another product, environment or model",
    );
  }
}

// The overridable settings (llmreg.domain.ModelConfig), written by `make generate`:
// <!-- BEGIN generated: settings -->
const SETTINGS = ["temperature", "maxTokens", "topP", "stopSequences", "timeout"];
// <!-- END generated -->

/**
 * Resolve an agent in an environment from the registry (`GET
 * /v1/products/{p}/agents/{a}/resolved/{env}`, a read token is enough), add the runtime layer
 * `overrides` (camelCase settings) and open the API key with the env's private key(s).
 * Returns the effective config (camelCase, like `llmreg resolve --json`) and `apiKey`.
 */
export async function resolve({ url, token, product, agent, env, privateKeys, overrides = {} }) {
  const path = ["products", product, "agents", agent, "resolved", env]
    .map(encodeURIComponent)
    .join("/");
  const response = await fetch(`${url.replace(/\/$/, "")}/v1/${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) {
    throw new LlmregError(`GET ${path}: HTTP ${response.status}: ${await response.text()}`);
  }
  const body = await response.json();
  const resolved = { ...body.resolved, provenance: { ...body.resolved.provenance } };
  for (const [name, value] of Object.entries(overrides)) {
    if (!SETTINGS.includes(name)) throw new LlmregError(`overrides.${name}: not a setting`);
    resolved[name] = value;
    resolved.provenance[name] = "runtime";
  }
  const sealed = sealedKeys(body.envConfig);
  const apiKey = sealed.length
    ? await openSealed(sealed, privateKeys, { product, env, modelTag: body.model.tag })
    : null;
  return {
    product,
    env,
    agent,
    modelTag: body.model.tag,
    ...resolved,
    systemPrompt: body.agent.systemPrompt ?? null,
    tools: body.agent.tools ?? [],
    apiKey,
  };
}
