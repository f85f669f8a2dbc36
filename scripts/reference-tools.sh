#!/usr/bin/env bash
# Builds the reference command-line tools the conformance suite uses as oracles (docs/conformance.md):
#   flux   github.com/fluxcd/flux2/v2/cmd/flux      (Flux CLI 2.9.x)
#   cosign github.com/sigstore/cosign/v3/cmd/cosign  (cosign 3.x)
#   cosign2 github.com/sigstore/cosign/v2/cmd/cosign (cosign 2.x, optional: a failure here is only a warning)
#   oras   oras.land/oras/cmd/oras                   (ORAS CLI)
# with the local Go toolchain and the Go module proxy. Nothing is written into the checkout: binaries go to
#   ${D2_REFTOOLS_DIR:-$HOME/.cache/d2-actions/reference-tools}/<name>-<version>/bin/<binary>
# plus versions.json there, so a fresh clone on the same machine reuses them (and Go's own build cache makes rebuilds
# fast). Idempotent: a tool whose binary exists is not rebuilt. Pinned versions can be overridden with
# D2_FLUX_VERSION, D2_COSIGN_VERSION, D2_COSIGN2_VERSION, D2_ORAS_VERSION.
#
# Usage: scripts/reference-tools.sh [--list] [flux|cosign|cosign2|oras ...]
#   --list  print the versions.json and exit without building
# Exit status: 0 when every required tool (flux, cosign, oras) is present afterwards, 1 otherwise.
set -uo pipefail

FLUX_VERSION="${D2_FLUX_VERSION:-v2.9.5}"
COSIGN_VERSION="${D2_COSIGN_VERSION:-v3.0.6}"
COSIGN2_VERSION="${D2_COSIGN2_VERSION:-v2.6.5}"
ORAS_VERSION="${D2_ORAS_VERSION:-v1.3.6}"
CACHE="${D2_REFTOOLS_DIR:-${HOME}/.cache/d2-actions/reference-tools}"

log() { printf '[reference-tools] %s\n' "$*" >&2; }

# name|module|package|version|binary
TOOLS=(
  "flux|github.com/fluxcd/flux2/v2|github.com/fluxcd/flux2/v2/cmd/flux|${FLUX_VERSION}|flux"
  "cosign|github.com/sigstore/cosign/v3|github.com/sigstore/cosign/v3/cmd/cosign|${COSIGN_VERSION}|cosign"
  "cosign2|github.com/sigstore/cosign/v2|github.com/sigstore/cosign/v2/cmd/cosign|${COSIGN2_VERSION}|cosign"
  "oras|oras.land/oras|oras.land/oras/cmd/oras|${ORAS_VERSION}|oras"
)
REQUIRED=" flux cosign oras "

mkdir -p "${CACHE}"

# versions.json: one object per tool that is present: {"flux":{"version":..,"module":..,"path":..,"buildSeconds":..,"go":..}}
write_versions() {
  local out="${CACHE}/versions.json" first=1 entry name module pkg version bin dir path secs gov
  {
    printf '{\n'
    for entry in "${TOOLS[@]}"; do
      IFS='|' read -r name module pkg version bin <<<"${entry}"
      dir="${CACHE}/${name}-${version}"
      path="${dir}/bin/${bin}"
      [ -x "${path}" ] || continue
      secs="$(cat "${dir}/build-seconds" 2>/dev/null || echo null)"
      gov="$(cat "${dir}/go-version" 2>/dev/null || echo unknown)"
      [ "${first}" -eq 1 ] || printf ',\n'
      first=0
      printf '  "%s": {"version": "%s", "module": "%s", "package": "%s", "path": "%s", "buildSeconds": %s, "go": "%s"}' \
        "${name}" "${version}" "${module}" "${pkg}" "${path}" "${secs}" "${gov}"
    done
    printf '\n}\n'
  } >"${out}.tmp" && mv "${out}.tmp" "${out}"
}

if [ "${1:-}" = "--list" ]; then
  write_versions
  cat "${CACHE}/versions.json"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "Go is not installed: cannot build the reference tools (the conformance suite will be skipped or fail)"
  exit 1
fi

# Build flags: no paths of this machine in the binaries, no debug info (smaller, faster to link), no VCS stamping
# (the module cache has no .git). CGO off: static binaries, no C toolchain needed.
export GOFLAGS="-trimpath -buildvcs=false -mod=mod"
export CGO_ENABLED=0
export GOTOOLCHAIN=local
LDFLAGS="-s -w"

# flux prints its version from main.VERSION; cosign and oras from their version packages.
ldflags_for() {
  local name="$1" version="$2"
  case "${name}" in
    flux) printf '%s -X main.VERSION=%s' "${LDFLAGS}" "${version#v}" ;;
    cosign) printf '%s -X sigs.k8s.io/release-utils/version.gitVersion=%s' "${LDFLAGS}" "${version}" ;;
    cosign2) printf '%s -X sigs.k8s.io/release-utils/version.gitVersion=%s' "${LDFLAGS}" "${version}" ;;
    oras) printf '%s -X oras.land/oras/internal/version.BuildMetadata=d2' "${LDFLAGS}" ;;
    *) printf '%s' "${LDFLAGS}" ;;
  esac
}

# Builds one tool. First `go install pkg@version` (refused when the module's go.mod has replace directives, as flux2's
# does); then a build inside a writable copy of the downloaded module (`go mod download -json` gives its Dir).
build_one() {
  local name="$1" module="$2" pkg="$3" version="$4" bin="$5"
  local dir="${CACHE}/${name}-${version}"
  local target="${dir}/bin/${bin}"
  if [ -x "${target}" ]; then
    log "${name} ${version}: cached at ${target}"
    return 0
  fi
  mkdir -p "${dir}/bin"
  local t0 t1 ldf
  t0="$(date +%s)"
  ldf="$(ldflags_for "${name}" "${version}")"
  log "${name} ${version}: building ${pkg} (this takes minutes on 2 cores; Go's build cache makes rebuilds fast)"
  if GOBIN="${dir}/bin.tmp" nice -n 10 go install -ldflags="${ldf}" "${pkg}@${version}" 2>"${dir}/install.log"; then
    mv "${dir}/bin.tmp/$(basename "${pkg}")" "${target}.tmp" && mv "${target}.tmp" "${target}"
    rm -rf "${dir}/bin.tmp"
  else
    rm -rf "${dir}/bin.tmp"
    if grep -q 'replace directives\|must not contain directives' "${dir}/install.log"; then
      log "${name}: go install refused (replace directives); building inside a copy of the module"
    else
      log "${name}: go install failed ($(tail -n 3 "${dir}/install.log" | tr '\n' ' ')); trying a build inside the module"
    fi
    local src
    src="$(go mod download -json "${module}@${version}" 2>"${dir}/download.log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    if [ -z "${src}" ] || [ ! -d "${src}" ]; then
      log "${name}: go mod download ${module}@${version} failed: $(tail -n 3 "${dir}/download.log" | tr '\n' ' ')"
      return 1
    fi
    local work="${dir}/src"
    rm -rf "${work}"
    cp -r "${src}" "${work}" && chmod -R u+w "${work}"
    if [ "${name}" = "flux" ]; then
      # cmd/flux embeds manifests/*.yaml, which flux2's Makefile generates with kustomize (only `flux install` and
      # `flux bootstrap` use them). The conformance suite never installs controllers, so one placeholder satisfies
      # the go:embed pattern; flux build/push/pull/diff/tag artifact do not read it.
      mkdir -p "${work}/cmd/flux/manifests"
      [ -n "$(ls "${work}/cmd/flux/manifests/"*.yaml 2>/dev/null)" ] ||
        printf '# placeholder: generated by `make` upstream; not used by the artifact commands\n' >"${work}/cmd/flux/manifests/placeholder.yaml"
    fi
    local rel="./${pkg#"${module}"/}"
    if ! (cd "${work}" && nice -n 10 go build -ldflags="${ldf}" -o "${target}.tmp" "${rel}") 2>"${dir}/build.log"; then
      log "${name}: build failed: $(tail -n 5 "${dir}/build.log" | tr '\n' ' ')"
      rm -f "${target}.tmp"
      return 1
    fi
    mv "${target}.tmp" "${target}"
    rm -rf "${work}"
  fi
  t1="$(date +%s)"
  echo "$((t1 - t0))" >"${dir}/build-seconds"
  go env GOVERSION >"${dir}/go-version"
  log "${name} ${version}: built in $((t1 - t0)) s -> ${target}"
}

only=("$@")
status=0
for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name module pkg version bin <<<"${entry}"
  if [ "${#only[@]}" -gt 0 ] && [[ ! " ${only[*]} " == *" ${name} "* ]]; then continue; fi
  if ! build_one "${name}" "${module}" "${pkg}" "${version}" "${bin}"; then
    if [[ "${REQUIRED}" == *" ${name} "* ]]; then status=1; else log "${name} is optional: continuing without it"; fi
  fi
  write_versions
done
write_versions
log "versions: ${CACHE}/versions.json"
exit "${status}"
