#!/usr/bin/env bash
# Installs what the benchmarks need besides Node: iperf3, tinc and wireguard-go (other overlays), iproute2,
# ping, ethtool and procps; then builds vxswitch. Run as root: `bash bench/setup.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# iperf3 asks whether to start a daemon at boot unless told not to, even noninteractive on some releases.
echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends \
  iperf3 tinc wireguard-go wireguard-tools iproute2 iputils-ping ethtool procps kmod python3 >/dev/null
echo "installed: $(iperf3 --version | head -n 1); $(tincd --version | head -n 1)"
if [ ! -d node_modules ]; then npm ci; fi
npm run build
echo "ready: npm run bench (netns macro benchmark, root), npm run bench:micro (tinybench)"
