#!/bin/sh
# Produces tests/data/io real fixtures. Traffic only on the loopback of a private netns.
set -x
NS=cnimodel-fixtures
D=/work/main/tests/data/io
ip netns del $NS 2>/dev/null
ip netns add $NS
ip netns exec $NS ip link set lo up
# netperf resolves with AI_ADDRCONFIG, which needs one non-loopback IPv4 address:
# a veth pair with both ends inside the namespace (RFC 2544 range), no traffic crosses it
ip netns exec $NS ip link add v0 type veth peer name v1
ip netns exec $NS ip addr add 198.18.0.1/24 dev v0
ip netns exec $NS ip link set v0 up
ip netns exec $NS ip link set v1 up
ip netns exec $NS iperf3 -s -D -p 5201
ip netns exec $NS netserver -p 12865 >/dev/null
sleep 1
X="ip netns exec $NS"
$X iperf3 -c 127.0.0.1 -J -t 2 -O 1 > $D/iperf3/tcp-3.12.json
$X iperf3 -c 127.0.0.1 -J -t 2 -P 4 > $D/iperf3/tcp-p4-3.12.json
$X iperf3 -c 127.0.0.1 -J -t 2 -R > $D/iperf3/tcp-reverse-3.12.json
$X iperf3 -c 127.0.0.1 -J -t 2 --bidir > $D/iperf3/tcp-bidir-3.12.json
$X iperf3 -c 127.0.0.1 -J -t 2 -u -b 500M -l 1400 > $D/iperf3/udp-3.12.json
$X iperf3 -c 127.0.0.1 -J -t 2 -u -b 200M -R > $D/iperf3/udp-reverse-3.12.json
$X iperf3 -c 127.0.0.1 -J -t 1 -p 5999 > $D/iperf3/error-refused-3.12.json
$X iperf3 -c 127.0.0.1 -J -t 2 -P 2 | gzip -n > $D/iperf3/tcp-p2-3.12.json.gz
N="$X netperf -H 127.0.0.1 -l 1"
$N -t TCP_STREAM > $D/netperf/tcp_stream.txt
$N -t TCP_STREAM -f g > $D/netperf/tcp_stream-fg.txt
$N -t TCP_STREAM -f k > $D/netperf/tcp_stream-fk.txt
$N -t TCP_STREAM -f M > $D/netperf/tcp_stream-fM.txt
$N -t TCP_STREAM -f G > $D/netperf/tcp_stream-fG.txt
$N -t TCP_STREAM -f K > $D/netperf/tcp_stream-fK.txt
$N -t TCP_STREAM -c -C > $D/netperf/tcp_stream-cpu.txt
$N -t TCP_STREAM -P 0 > $D/netperf/tcp_stream-nobanner.txt
$N -t UDP_STREAM -- -m 1400 > $D/netperf/udp_stream.txt
$N -t TCP_RR > $D/netperf/tcp_rr.txt
$N -t TCP_RR -c -C > $D/netperf/tcp_rr-cpu.txt
$N -t TCP_RR -P 0 > $D/netperf/tcp_rr-nobanner.txt
$N -t TCP_CRR > $D/netperf/tcp_crr.txt
$N -t UDP_RR > $D/netperf/udp_rr.txt
$N -t TCP_RR -v 2 > $D/netperf/tcp_rr-v2.txt
$N -t TCP_RR -- -r 64,1024 -o THROUGHPUT,THROUGHPUT_UNITS,MEAN_LATENCY,P50_LATENCY,P90_LATENCY,P99_LATENCY,REQUEST_SIZE,RESPONSE_SIZE,PROTOCOL,DIRECTION,ELAPSED_TIME,LOCAL_CPU_UTIL,REMOTE_CPU_UTIL,TRANSPORT_MSS > $D/netperf/omni-tcp_rr-o.csv
$N -t TCP_STREAM -- -o THROUGHPUT,THROUGHPUT_UNITS,MEAN_LATENCY,P99_LATENCY,SEND_SIZE,PROTOCOL,ELAPSED_TIME,TRANSPORT_MSS,LOCAL_TRANSPORT_RETRANS > $D/netperf/omni-tcp_stream-o.csv
$N -t TCP_RR -- -O THROUGHPUT,THROUGHPUT_UNITS,MEAN_LATENCY,P50_LATENCY,P90_LATENCY,P99_LATENCY,REQUEST_SIZE > $D/netperf/omni-tcp_rr-O.txt
$N -t TCP_RR -- -k THROUGHPUT,THROUGHPUT_UNITS,MEAN_LATENCY,P50_LATENCY,P90_LATENCY,P99_LATENCY,REQUEST_SIZE,RESPONSE_SIZE,PROTOCOL,ELAPSED_TIME,TRANSPORT_MSS > $D/netperf/omni-tcp_rr-k.txt
$N -t TCP_STREAM -- -k THROUGHPUT,THROUGHPUT_UNITS,MEAN_LATENCY,P99_LATENCY,SEND_SIZE,PROTOCOL,ELAPSED_TIME > $D/netperf/omni-tcp_stream-k.txt
$N -t UDP_STREAM -- -m 1400 -k THROUGHPUT,THROUGHPUT_UNITS,LOCAL_SEND_THROUGHPUT,REMOTE_RECV_THROUGHPUT,SEND_SIZE,PROTOCOL,ELAPSED_TIME > $D/netperf/omni-udp_stream-k.txt
$N -t omni -- -d rr -k all > $D/netperf/omni-rr-k-all.txt
$N -t TCP_STREAM -f g -- -k THROUGHPUT,THROUGHPUT_UNITS > $D/netperf/omni-tcp_stream-fg-k.txt
# stop only the servers living in this namespace
for p in $(ip netns pids $NS); do kill $p; done
sleep 1
ip netns del $NS
