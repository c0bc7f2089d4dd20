// The lifecycle of tests/e2e/test_plugin.py in TypeScript, through the SDK generated from the
// plugin's schema, installed as a user does: `npm install --install-links <repo>/sdk/nodejs`.
import * as pulumi from "@pulumi/pulumi";
import * as llmreg from "@llmreg/pulumi";

const cfg = new pulumi.Config();

const shop = new llmreg.Product("shop", { tag: "shop", name: "Shop", envs: ["dev", "prd"] });

const sonnet = new llmreg.LlmModel("sonnet", {
    product: shop.tag,
    productEnvs: shop.envs,
    sealingKeys: shop.sealingKeys,
    tag: "sonnet",
    name: "Claude Sonnet",
    provider: "anthropic",
    model: "claude-sonnet-4-20250514",
    temperature: cfg.getNumber("temperature") ?? 0.7,
    maxTokens: 4096,
    envs: [{ slug: "dev" }, { slug: "prd", baseUrl: "https://llm-gw.internal/anthropic" }],
    apiKeys: { dev: cfg.requireSecret("devKey"), prd: cfg.requireSecret("prdKey") },
});

const support = new llmreg.Agent("support", {
    product: shop.tag,
    productEnvs: shop.envs,
    tag: "support",
    name: "Customer Support",
    model: sonnet.tag,
    modelSettings: sonnet.settings,
    systemPrompt: "You help customers.",
    tools: [{ name: "lookup_order", parameters: { type: "object", properties: {} } }],
    modelConfig: { maxTokens: 2000 },
    envs: [{ slug: "dev", modelConfig: { temperature: 0.3 } }],
});

export const supportResolved = support.resolved;
export const privateKeys = shop.privateKeys;
export const fingerprints = sonnet.keyFingerprints;
