#!/bin/bash
# Captures the real iperf 2.1.8 CSV fixtures of this directory (see ../README.md).
# Run as root from anywhere: bash tests/data/io/iperf2/capture-2.1.8.sh [CASE ...]
# (no CASE: all of them; the file names are iperf2_2.1.8_<CASE>_{client,server}.csv)
# Needs the Debian 12 package iperf (2.1.8). Traffic runs only between two network
# namespaces it creates (cnmfix-a: server 198.19.250.1, cnmfix-b: client 198.19.250.2,
# one veth pair, RFC 2544 range) and it deletes them, and its servers, on exit.
set -u
D=$(cd "$(dirname "$0")" && pwd)
A=cnmfix-a; B=cnmfix-b; SRV=198.19.250.1
V=$(iperf -v 2>&1)
case "$V" in *"version 2.1.8 "*) ;; *) echo "need iperf 2.1.8, found: $V" >&2; exit 1 ;; esac
for ns in $A $B; do
  if ip netns list | grep -qw "$ns"; then echo "namespace $ns exists: remove it first" >&2; exit 1; fi
done
teardown() {
  for ns in $A $B; do for p in $(ip netns pids $ns 2>/dev/null); do kill $p 2>/dev/null; done; done
  sleep 0.5
  for ns in $A $B; do for p in $(ip netns pids $ns 2>/dev/null); do kill -9 $p 2>/dev/null; done; done
  ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
}
trap teardown EXIT
ip netns add $A && ip netns add $B || exit 1
ip link add cnmfix0 type veth peer name cnmfix1 || exit 1
ip link set cnmfix0 netns $A; ip link set cnmfix1 netns $B
ip -n $A addr add 198.19.250.1/30 dev cnmfix0; ip -n $B addr add 198.19.250.2/30 dev cnmfix1
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set cnmfix0 up; ip -n $B link set cnmfix1 up
sleep 1
rc=0
ONLY=("$@")
# run NAME "server options" "client options": one fresh server per case, its stdout is the
# server file (line-buffered so nothing is lost when it is stopped), the client's stdout the client file
run() {
  if [ ${#ONLY[@]} -gt 0 ] && ! printf '%s\n' "${ONLY[@]}" | grep -qx "$1"; then return; fi
  local name=$1 sopt=$2 copt=$3 cf="$D/iperf2_2.1.8_${1}_client.csv" sf="$D/iperf2_2.1.8_${1}_server.csv"
  ip netns exec $A stdbuf -oL iperf -s $sopt > "$sf" 2> "$D/.server.err" &
  local sp=$!
  sleep 1
  ip netns exec $B iperf -c $SRV $copt > "$cf" 2> "$D/.client.err" || { echo "$name: client failed" >&2; rc=1; }
  sleep 1.5
  kill $sp 2>/dev/null; sleep 0.5; kill -9 $sp 2>/dev/null; wait $sp 2>/dev/null
  for e in "$D/.server.err" "$D/.client.err"; do
    if [ -s "$e" ]; then echo "$name: stderr:" >&2; cat "$e" >&2; rc=1; fi
  done
  rm -f "$D/.server.err" "$D/.client.err"
  echo "$name: server 'iperf -s $sopt'  client 'iperf -c $SRV $copt'"
}
run tcp              "-y C -i 1"          "-y C -t 2 -i 1"
run tcp_P2           "-y C -i 1"          "-y C -t 2 -i 1 -P 2"
run tcp_P2_sumonly   "-y C -i 1"          "-y C -t 2 -i 1 -P 2 --sum-only"
run tcp_e            "-y C -i 1 -e"       "-y C -t 2 -i 1 -e"
run tcp_noi          "-y C"               "-y C -t 2"
run tcp_R            "-y C -i 1"          "-y C -t 2 -i 1 -R"
run tcp_r            "-y C -i 1"          "-y C -t 2 -i 1 -r"
run tcp_d            "-y C -i 1"          "-y C -t 2 -i 1 -d"
run tcp_fullduplex   "-y C -i 1"          "-y C -t 2 -i 1 --full-duplex"
run tcp_triptimes    "-y C -i 1 -e"       "-y C -t 2 -i 1 -e --trip-times"
run udp              "-u -y C -i 1"       "-u -y C -t 2 -i 1 -b 100M"
run udp_e            "-u -y C -i 1 -e"    "-u -y C -t 2 -i 1 -b 100M -e"
run udp_P2           "-u -y C -i 1"       "-u -y C -t 2 -i 1 -b 50M -P 2"
run udp_noi          "-u -y C"            "-u -y C -t 2 -b 100M"
run udp_R            "-u -y C -i 1"       "-u -y C -t 2 -i 1 -b 100M -R"
run udp_d            "-u -y C -i 1"       "-u -y C -t 2 -i 1 -b 50M -d"
run udp_triptimes    "-u -y C -i 1 -e"    "-u -y C -t 2 -i 1 -b 100M -e --trip-times"
run udp_loss         "-u -y C -i 1"       "-u -y C -t 2 -i 1 -b 3G"
exit $rc
