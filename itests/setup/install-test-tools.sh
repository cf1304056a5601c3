#!/usr/bin/env bash
# Installs what the integration tests drive from outside the JVM:
#   chromium, chromium-driver      the monitoring page's browser test (MonitoringPageIT), from Debian
#   python3-prometheus-client      an independent parser for /metrics (MonitoringPageIT), from Debian
#   python3-numpy                  the accuracy benchmark's report and statistics, whose tests run with the build
#   nodejs, npm                    the non-Java frame reader (NodeFrameReaderIT), from Debian when absent
#   itests/node/node_modules       its npm packages, pinned by itests/node/package-lock.json (npm ci)
# Does nothing that is already done. Needs root or password-less sudo to install Debian packages.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3 python3-prometheus-client)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)

install_debian() {
  if ! command -v apt-get >/dev/null; then
    # Not Debian or Ubuntu (a Mac, Fedora): said once, where apt-get was tried three times with pauses, or advised on a Mac.
    echo "install-test-tools: need ${need[*]} (Debian's package names), and this machine has no apt-get: install them with its own" >&2
    echo "  package manager (chromium and chromedriver at /usr/bin, python3 at /usr/bin/python3 with prometheus_client and numpy), then" >&2
    echo "  run the tests with -Dalpharl.skipToolInstall" >&2
    exit 1
  fi
  if [ "$(id -u)" -eq 0 ]; then
    sudo=()
  elif sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "install-test-tools: need ${need[*]} and cannot install them (not root, no password-less sudo)." >&2
    echo "  Install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "install-test-tools: installing ${need[*]} from Debian's packages"
  for attempt in 1 2 3; do
    if "${sudo[@]}" apt-get update -q >/tmp/alpharl-apt.log 2>&1 &&
       DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" >>/tmp/alpharl-apt.log 2>&1; then
      echo "install-test-tools: installed ${need[*]}"
      return 0
    fi
    echo "install-test-tools: apt-get failed (attempt $attempt of 3); log in /tmp/alpharl-apt.log" >&2
    sleep $((attempt * 5))
  done
  tail -20 /tmp/alpharl-apt.log >&2
  exit 1
}

if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-tools: chromium, chromedriver, python3-prometheus-client, python3-numpy, node and npm are present"
else
  install_debian
fi

# npm packages of the Node frame reader: reinstalled only when the lock file changed.
node_dir="$here/../node"
stamp="$node_dir/node_modules/.alpharl-lock.sha256"
want="$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "install-test-tools: itests/node packages are installed"
  exit 0
fi
echo "install-test-tools: npm ci in itests/node"
for attempt in 1 2 3; do
  if (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/tmp/alpharl-npm.log 2>&1); then
    echo "$want" >"$stamp"
    echo "install-test-tools: installed itests/node packages"
    exit 0
  fi
  echo "install-test-tools: npm ci failed (attempt $attempt of 3); log in /tmp/alpharl-npm.log" >&2
  sleep $((attempt * 5))
done
tail -20 /tmp/alpharl-npm.log >&2
exit 1
