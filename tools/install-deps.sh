#!/usr/bin/env bash
# Installs the Debian packages longheads builds and tests with (skips when all are present).
set -euo pipefail
packages=(cmake g++ make pkg-config libdnnl-dev libtbb-dev catch2 swig
          python3-dev python3-numpy python3-pytest openjdk-17-jdk-headless mono-mcs mono-runtime
          clang libclang-rt-14-dev libomp-14-dev libcli11-dev nlohmann-json3-dev
          python3-jinja2 libcpp-httplib-dev qemu-user python3-venv nuget curl
          libmono-system-net-http4.0-cil)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
echo "installing: ${missing[*]}"
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -q
$sudo_cmd apt-get install -y -q "${missing[@]}"
