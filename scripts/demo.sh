#!/bin/sh
# Quick start: installs what is missing, builds metalog and runs the demo
# trading bot with config/metalog.yaml. Run from anywhere as root (or as a
# user once the packages are installed). Extra arguments go to the demo:
#   scripts/demo.sh config/metalog.yaml 60    # trade for a minute
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"

metalog_install_missing $metalog_build_deps
metalog_build default
cd "$top"
[ $# -gt 0 ] || set -- config/metalog.yaml
echo "== running build/default/examples/trading_bot $*"
build/default/examples/trading_bot "$@"
echo "== the bot wrote:"
wc -l logs/*.log
