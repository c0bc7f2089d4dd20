#!/usr/bin/env bash
# Runs the example stack end to end on a local file backend and the embedded registry, in a
# throwaway directory outside the repository, then prints each agent's resolved configuration.
#
# Needs `pulumi` and the Python plugins on PATH (the Makefile's `demo` target puts the toolchain
# built by scripts/setup-pulumi there) and the repository's .venv with llmreg installed.
# LLMREG_DEMO_DIR=<dir> keeps the state somewhere else (default: a new temp dir).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${LLMREG_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/llmreg-demo.XXXXXX")}"
mkdir -p "$work/project" "$work/backend" "$work/pulumi-home" "$work/registry"

command -v pulumi >/dev/null || { echo "pulumi is not on PATH: run 'make demo'" >&2; exit 1; }

# Offline, local-only engine settings; the demo's own backend, home and passphrase.
export PULUMI_HOME="$work/pulumi-home"
export PULUMI_BACKEND_URL="file://$work/backend"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-llmreg-demo-passphrase}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DISABLE_REGISTRY_RESOLVE=true
export PULUMI_SUPPRESS_NEO_LINK=true
export PULUMI_CREDENTIAL_STORE=plaintext
# The embedded registry (SQLite) of this demo; unset LLMREG_URL so nothing else is used.
export LLMREG_HOME="$work/registry"
unset LLMREG_URL LLMREG_TOKEN

# A copy of the project, so the stack's config file is not written into the repository.
cp "$here/__main__.py" "$work/project/"
sed "s#virtualenv: ../../.venv#virtualenv: $repo/.venv#" "$here/Pulumi.yaml" > "$work/project/Pulumi.yaml"
cd "$work/project"

p() { pulumi "$@" --non-interactive --color=never; }

echo "== llmreg demo in $work (registry: $LLMREG_HOME/registry.db)"
p stack init demo >/dev/null
# Demo API keys: random, set as secrets through stdin (never in argv or the transcript).
demo_key() { printf 'sk-ant-demo-%s' "$("$repo/.venv/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"; }
demo_key | p config set --secret anthropicDevKey >/dev/null
demo_key | p config set --secret anthropicPrdKey >/dev/null

p up --yes
echo
echo "== customer-support: resolved configuration per environment (no keys)"
p stack output support_resolved --json
echo
echo "== ticket-summarizer: resolved configuration per environment"
p stack output summarizer_resolved --json
echo
echo "== product 'shop' public keys (private keys are secret stack outputs: private_keys)"
p stack output public_keys --json
echo
# The runtime's view: hand the prd private key (a secret stack output) to `llmreg resolve`
# through a 0600 file, as a deploy pipeline would hand it to the runtime's secret store.
echo "== the runtime in prd: llmreg resolve shop prd customer-support --explain"
(umask 077 && p stack output private_keys --show-secrets --json \
  | "$repo/.venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["prd"])' > "$work/prd.key")
"$repo/.venv/bin/llmreg" resolve shop prd customer-support --private-key-file "$work/prd.key" --explain
echo
echo "== done. State: $work/backend, registry: $LLMREG_HOME/registry.db"
# The tear-down line works pasted into a fresh shell: everything it needs is on it (a passphrase
# of your own is left to your environment, never printed).
passphrase="$(printf %q "$PULUMI_CONFIG_PASSPHRASE")"
[ "$PULUMI_CONFIG_PASSPHRASE" = llmreg-demo-passphrase ] || passphrase='"$PULUMI_CONFIG_PASSPHRASE"'
echo "   Tear down: cd $(printf %q "$work/project") && env -u LLMREG_URL -u LLMREG_TOKEN" \
  "PATH=$(printf %q "$(dirname "$(command -v pulumi)"):$repo/.venv/bin"):\"\$PATH\"" \
  "PULUMI_HOME=$(printf %q "$PULUMI_HOME") PULUMI_BACKEND_URL=$(printf %q "$PULUMI_BACKEND_URL")" \
  "PULUMI_CONFIG_PASSPHRASE=$passphrase LLMREG_HOME=$(printf %q "$LLMREG_HOME")" \
  "PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true" \
  "pulumi destroy --stack demo --yes --non-interactive"
echo
echo "== the console: a read token, then the server on this demo's registry (Ctrl-C stops it)"
echo "   $repo/.venv/bin/llmreg token create --name console --scope read --product shop --db sqlite:///$LLMREG_HOME/registry.db"
echo "   $repo/.venv/bin/llmreg serve --db sqlite:///$LLMREG_HOME/registry.db   # open http://127.0.0.1:8080/console/ and paste the secret"
