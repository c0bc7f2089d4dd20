// tests/e2e/programs/yaml-errors in TypeScript: a model env the product lacks, refused by preview;
// an agent that only the registry refuses, at `up`.
import * as pulumi from "@pulumi/pulumi";
import * as llmreg from "@llmreg/pulumi";

const cfg = new pulumi.Config();

const shop = new llmreg.Product("shop", { tag: "shop", name: "Shop", envs: ["dev", "prd"] });

const sonnet = new llmreg.LlmModel("sonnet", {
    product: shop.tag,
    productEnvs: shop.envs,
    sealingKeys: shop.sealingKeys,
    tag: "sonnet",
    name: "Local Sonnet",
    provider: "custom",
    model: "sonnet-local",
    envs: [{ slug: cfg.get("modelEnv") ?? "dev", baseUrl: "http://llm.internal/v1" }],
});

new llmreg.Agent("support", {
    product: shop.tag,
    productEnvs: ["dev", "prd", "stg"],
    tag: "support",
    name: "Customer Support",
    model: cfg.get("agentModel") ?? "sonnet",
    modelSettings: sonnet.settings,
    envs: [{ slug: cfg.get("agentEnv") ?? "dev" }],
});
