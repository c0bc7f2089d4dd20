// Toolchain smoke test (tests/e2e/test_languages_smoke.py): a TypeScript program run by
// llmreg's Node.js language host with @pulumi/pulumi's runner, compiled and type-checked by
// ts-node. Needs no provider plugin: a component resource and stack outputs only.
import * as pulumi from "@pulumi/pulumi";

interface Greeting {
    text: string;
    words: number;
}

function greet(who: string): Greeting {
    const text = `hello ${who}`;
    return { text, words: text.split(" ").length };
}

class Greeter extends pulumi.ComponentResource {
    public readonly greeting: pulumi.Output<Greeting>;

    constructor(name: string, who: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
        super("smoke:index:Greeter", name, {}, opts);
        this.greeting = pulumi.output(who).apply(greet);
        this.registerOutputs({ greeting: this.greeting });
    }
}

const cfg = new pulumi.Config();
const name: string = cfg.require("name");
const apiKey: pulumi.Output<string> = cfg.requireSecret("apiKey");

const greeter = new Greeter("greeter", name);

export const greeting = greeter.greeting;
export const stack = pulumi.getStack();
export const secretKey = apiKey;
export const keyLength = apiKey.apply((key) => key.length);
export const wrapped = pulumi.secret(`wrapped-${name}`);
