#!/usr/bin/env bash
# Installs what the integration tests drive from outside the JVM, from Debian's packages:
#   chromium, chromium-driver      the monitoring page's browser test (MonitoringPageIT)
#   python3-prometheus-client      an independent parser for /metrics (MonitoringPageIT)
# Does nothing when they are present. Needs root or password-less sudo to install.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3 python3-prometheus-client)
if [ ${#need[@]} -eq 0 ]; then
  echo "install-test-tools: chromium, chromedriver and python3-prometheus-client are present"
  exit 0
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
    exit 0
  fi
  echo "install-test-tools: apt-get failed (attempt $attempt of 3); log in /tmp/alpharl-apt.log" >&2
  sleep $((attempt * 5))
done
tail -20 /tmp/alpharl-apt.log >&2
exit 1
