#!/usr/bin/env bash
# System packages the demo, the tests and the benchmark use (Debian/Ubuntu, as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive   # tshark's package asks about non-root capture otherwise
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  iproute2 iputils-ping iperf3 tshark tcpdump ethtool dnsmasq-base isc-dhcp-client \
  openvswitch-switch python3 procps kmod ca-certificates make g++ >/dev/null
echo "system packages installed"
