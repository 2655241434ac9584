#!/usr/bin/env bash
# System packages the demo, the tests and the benchmark use (Debian/Ubuntu, as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive   # tshark's package asks about non-root capture otherwise
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  iproute2 iputils-ping iperf3 tshark tcpdump ethtool dnsmasq-base isc-dhcp-client \
  openvswitch-switch python3 procps kmod ca-certificates make g++ \
  etcd-server etcd-client openssl curl >/dev/null
# The etcd package enables a service on the host; vxswitch's tests and benchmark run their own
# etcd inside lab namespaces, so the host's is stopped and disabled (never used).
if command -v systemctl >/dev/null 2>&1 && systemctl list-unit-files etcd.service >/dev/null 2>&1; then
  systemctl disable --now etcd.service >/dev/null 2>&1 || true
fi
# Without systemd the package's init script may have started it (unless policy-rc.d forbade it).
if [ -x /etc/init.d/etcd ]; then
  /etc/init.d/etcd stop >/dev/null 2>&1 || true
  update-rc.d etcd disable >/dev/null 2>&1 || true
fi
echo "system packages installed"
