#!/usr/bin/env bash
# The benchmark on a Linux machine with an NVIDIA GPU: first in Node on Dawn over Vulkan
# (scripts/bench-node.ts: ours, tfjs's WebGPU backend and jax-js on the same adapter), then,
# if it starts there, in headless Chromium (npm run bench) with Vulkan forced on.
#
#   scripts/bench-gpu.sh [OUT_DIR] [-- extra args for both runners, e.g. --only matmul,mlp]
#
# Loaders: the Vulkan loader (libvulkan1) must be installed or unpacked, and the NVIDIA ICD
# found. On machines whose driver is mounted rather than installed (containers, the device
# machine of DEVELOPERS.md), unpack libvulkan1 first and point the loader at the driver:
#   for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
#   export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
# The script looks for the ICD in the usual places when VK_DRIVER_FILES is unset. Reports go
# to OUT_DIR (default bench-gpu-out/): node.md, node.log, chromium.md, chromium.log, env.txt.
set -uo pipefail

cd "$(dirname "$0")/.."
OUT="${1:-bench-gpu-out}"
[ "$#" -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
mkdir -p "$OUT"

if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
             /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
# The engine's Node host defaults to SwiftShader when no ICD is named: never on this script.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  echo "bench-gpu: no NVIDIA Vulkan ICD found; set VK_DRIVER_FILES to the driver's nvidia_icd.json" >&2
  exit 3
fi
export VK_ICD_FILENAMES="${VK_ICD_FILENAMES:-$VK_DRIVER_FILES}"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
  ldconfig -p 2>/dev/null | grep -E 'libvulkan|libnvidia-glcore|libGLX_nvidia' || echo "no libvulkan in ldconfig"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  command -v vulkaninfo >/dev/null && vulkaninfo --summary 2>&1 | head -40
  node --version
} >"$OUT/env.txt" 2>&1
cat "$OUT/env.txt" >&2

# 1. Node + Dawn (Vulkan backend, the discrete adapter). tfjs-core's ESM build needs a
# bundler in Node, so the runner is bundled with esbuild first (WGSL inlined as text).
BUNDLE=node_modules/.bench-node/bench-node.mjs
node_rc=0
if node scripts/bench-node-build.mjs "$BUNDLE" 2>"$OUT/node.log"; then
  DAWN_FLAGS="${DAWN_FLAGS:-backend=vulkan}" \
    timeout "${NODE_TIMEOUT:-1800}" node "$BUNDLE" --markdown "$@" >"$OUT/node.md" 2>>"$OUT/node.log"
  node_rc=$?
else
  node_rc=$?
fi
echo "bench-gpu: node + dawn exit $node_rc (report $OUT/node.md, log $OUT/node.log)" >&2
grep -E 'adapter|✓|✗|failed' "$OUT/node.log" >&2 || true

# 2. Headless Chromium, if one is there and starts with WebGPU on Vulkan.
chromium_rc=skipped
CHROMIUM="${CHROMIUM_PATH:-/usr/lib/chromium/chromium}"
if [ -x "$CHROMIUM" ]; then
  CHROMIUM_PATH="$CHROMIUM" BENCH_EXTRA_FLAGS="--use-angle=vulkan --enable-features=Vulkan,VulkanFromANGLE --ignore-gpu-blocklist" \
    timeout "${CHROMIUM_TIMEOUT:-1800}" npm run --silent bench -- --full --markdown "$@" >"$OUT/chromium.md" 2>"$OUT/chromium.log"
  chromium_rc=$?
  grep -E 'adapter|✓|✗|failed' "$OUT/chromium.log" >&2 || true
  if grep -qi swiftshader "$OUT/chromium.log"; then
    echo "bench-gpu: Chromium fell back to SwiftShader (no GPU in the browser); its report is not a GPU figure" >&2
  fi
else
  echo "bench-gpu: no Chromium at $CHROMIUM (set CHROMIUM_PATH); browser run skipped" >&2
fi
echo "bench-gpu: chromium exit $chromium_rc (report $OUT/chromium.md, log $OUT/chromium.log)" >&2
[ "$node_rc" = 0 ] || [ "$chromium_rc" = 0 ]
