#!/usr/bin/env bash
# Capture the real text outputs in tests/data/io/{iperf3-text,sockperf,qperf,ping,fping}/
# (issue 14).  Run as root from the repository root, under the lab lock:
#     flock /tmp/cnimodel-lab.lock bash tests/data/io/capture-text-tools.sh
# Two network namespaces (h14-a: servers, h14-b: clients) joined by one veth pair,
# 198.18.214.1/30 (h14-a) and 198.18.214.2/30 (h14-b), RFC 2544 range; both are deleted on exit.
# Every file is the tool's stdout byte for byte; *.tty files were captured through a pseudo
# terminal with script(1) (colour escapes, CRLF line ends, as when a user copies a terminal log);
# fping prints its summaries on stderr: fping/*-2to1.txt hold stdout and stderr together (2>&1).
set -euo pipefail
OUT=${OUT:-tests/data/io}
A=h14-a B=h14-b SRV=198.18.214.1
cleanup() {
    ip netns pids $A 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del $A 2>/dev/null || true
    ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add $A
ip netns add $B
ip link add h14-va netns $A type veth peer name h14-vb netns $B
ip -n $A addr add $SRV/30 dev h14-va
ip -n $B addr add 198.18.214.2/30 dev h14-vb
ip -n $A link set lo up; ip -n $B link set lo up
ip -n $A link set h14-va up; ip -n $B link set h14-vb up
ina() { ip netns exec $A "$@"; }
inb() { ip netns exec $B "$@"; }
tty_cap() { # tty_cap FILE CMD...: through a pseudo terminal (colour, CRLF)
    local f=$1; shift
    inb script -qfec "$*" /dev/null > "$f" < /dev/null
}
mkdir -p "$OUT"/iperf3-text "$OUT"/sockperf "$OUT"/qperf "$OUT"/ping "$OUT"/fping
sleep 1

# ---------------------------------------------------------------- iperf3 human text
# Each case: one server run (-1: one test, then exit) whose stdout is the *-server.txt file
i3() { # i3 NAME CLIENT-OPTIONS...
    local name=$1; shift
    ina iperf3 -s -1 -B $SRV -p 5201 > "$OUT/iperf3-text/$name-server.txt" 2>&1 &
    local spid=$!
    sleep 0.5
    inb iperf3 -c $SRV -p 5201 "$@" > "$OUT/iperf3-text/$name-client.txt" 2>&1 || true
    wait $spid || true
}
i3 tcp -t 2
i3 tcp-P2 -t 2 -P 2
i3 tcp-R -t 2 -R
i3 tcp-bidir -t 2 --bidir
i3 tcp-O1 -t 3 -O 1
i3 tcp-n10K -n 10K
i3 tcp-fk -t 2 -f k
i3 tcp-fm -t 2 -f m
i3 tcp-fg -t 2 -f g
i3 tcp-fK -t 2 -f K
i3 tcp-fM -t 2 -f M
i3 tcp-fG -t 2 -f G
i3 tcp-ft -t 2 -f t
i3 tcp-V -t 2 -V
i3 udp -t 2 -u -b 100M
i3 udp-P2 -t 2 -u -b 50M -P 2
i3 udp-R -t 2 -u -b 100M -R
i3 udp-bidir -t 2 -u -b 50M --bidir
i3 udp-loss -t 2 -u -b 5G -l 1400
inb iperf3 -c $SRV -p 5999 -t 1 > "$OUT/iperf3-text/error-refused-client.txt" 2>&1 || true
ina iperf3 -s -1 -B $SRV -p 5201 -J > "$OUT/iperf3-text/tcp-n10K-server.json" 2>&1 &
sleep 0.5
inb iperf3 -c $SRV -p 5201 -n 10K -J > "$OUT/iperf3-text/tcp-n10K-client.json" 2>&1 || true
wait

# ---------------------------------------------------------------- sockperf
ina sockperf server -i $SRV -p 11111 > /dev/null 2>&1 &
ina sockperf server -i $SRV -p 11112 --tcp > /dev/null 2>&1 &
sleep 1
inb sockperf ping-pong -i $SRV -p 11111 -t 2 > "$OUT/sockperf/ping-pong-udp.txt" 2>&1
inb sockperf ping-pong -i $SRV -p 11112 -t 2 --tcp > "$OUT/sockperf/ping-pong-tcp.txt" 2>&1
inb sockperf ping-pong -i $SRV -p 11111 -t 2 -m 1400 > "$OUT/sockperf/ping-pong-udp-m1400.txt" 2>&1
inb sockperf ping-pong -i $SRV -p 11111 -t 2 --full-rtt > "$OUT/sockperf/ping-pong-udp-full-rtt.txt" 2>&1
inb sockperf under-load -i $SRV -p 11111 -t 2 --mps 10000 > "$OUT/sockperf/under-load-udp.txt" 2>&1
inb sockperf throughput -i $SRV -p 11111 -t 2 -m 1400 > "$OUT/sockperf/throughput-udp.txt" 2>&1
inb sockperf throughput -i $SRV -p 11112 -t 2 --tcp -m 1400 > "$OUT/sockperf/throughput-tcp.txt" 2>&1
tty_cap "$OUT/sockperf/ping-pong-udp.tty" sockperf ping-pong -i $SRV -p 11111 -t 2
inb sockperf ping-pong -i $SRV -p 11199 -t 1 > "$OUT/sockperf/ping-pong-noserver.txt" 2>&1 || true
ip netns pids $A | xargs -r kill; sleep 0.5

# ---------------------------------------------------------------- qperf
ina qperf > /dev/null 2>&1 &
sleep 1
inb qperf -t 2 $SRV tcp_lat udp_lat tcp_bw udp_bw > "$OUT/qperf/lat-bw.txt" 2>&1
inb qperf -t 2 -v $SRV tcp_lat tcp_bw > "$OUT/qperf/tcp-v.txt" 2>&1
inb qperf -t 2 -vv $SRV udp_lat udp_bw > "$OUT/qperf/udp-vv.txt" 2>&1
inb qperf -t 1 -oo msg_size:1:64K:*4 $SRV tcp_lat > "$OUT/qperf/tcp_lat-sweep.txt" 2>&1
inb qperf -t 1 -oo msg_size:1K:16K:*2 -v $SRV tcp_bw > "$OUT/qperf/tcp_bw-sweep-v.txt" 2>&1
inb qperf -t 2 -uu $SRV tcp_lat > "$OUT/qperf/tcp_lat-uu.txt" 2>&1
ip netns pids $A | xargs -r kill; sleep 0.5
inb qperf -t 1 $SRV tcp_lat > "$OUT/qperf/noserver.txt" 2>&1 || true

# ---------------------------------------------------------------- ping and fping
inb ping -c 5 -i 0.2 $SRV > "$OUT/ping/ping-c5.txt" 2>&1
inb ping -c 5 -i 0.2 -q $SRV > "$OUT/ping/ping-c5-q.txt" 2>&1
inb ping -c 5 -i 0.2 -s 1400 -D $SRV > "$OUT/ping/ping-s1400-D.txt" 2>&1
inb ping -c 3 -i 0.2 -W 1 198.18.214.3 > "$OUT/ping/ping-loss-all.txt" 2>&1 || true
inb fping -c 5 -p 200 $SRV > "$OUT/fping/fping-c5-2to1.txt" 2>&1
inb fping -c 5 -p 200 $SRV > "$OUT/fping/fping-c5-stdout.txt" 2>/dev/null
inb fping -C 5 -p 200 -q $SRV > "$OUT/fping/fping-C5-q-2to1.txt" 2>&1
inb fping -e $SRV > "$OUT/fping/fping-e.txt" 2>&1
inb fping -c 3 -p 200 $SRV 198.18.214.3 > "$OUT/fping/fping-c3-two-targets-2to1.txt" 2>&1 || true
echo done
