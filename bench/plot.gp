# Draws bench/results.png from the data bench_loggers report wrote:
# columns: logger, records/s on 1 and 4 threads, p50 and p99.9 caller
# latency (ns) on 1 thread, then on 4 threads. "?" marks a case that was
# not run or failed: it is left out, never drawn as zero.
# Called by run.sh with -e "datafile='...'; outfile='...'; records='...'".

set terminal pngcairo size 1400,1100 font "DejaVu Sans,12"
set output outfile
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 1
set grid ytics mytics lc rgb "#dddddd"
set xtics nomirror font ",12"
set key top right
set border 3
set ytics nomirror

set multiplot layout 2,1 title sprintf("metalog against spdlog, log4c and glog: %s records per thread, drained to the page cache", records)

set title "Throughput, records/s (higher is better)"
set yrange [0:*]
set format y "%.1s %c"
# Labels sit on the bars: with 2 bars per cluster and gap 1, a bar is 1/3
# wide and the two centres are 1/6 left and right of the cluster's.
plot datafile using 2:xtic(1) title "1 thread" lc rgb "#4e79a7", \
     '' using 3 title "4 threads" lc rgb "#f28e2b", \
     '' using ($0-1.0/6):2:(sprintf("%.2fM", $2/1e6)) with labels offset 0,0.7 font ",10" notitle, \
     '' using ($0+1.0/6):3:(sprintf("%.2fM", $3/1e6)) with labels offset 0,0.7 font ",10" notitle

set title "Caller latency per call, ns, log scale (lower is better; timing overhead included)"
set logscale y
set yrange [8:*]
set ytics ("10 ns" 10, "100 ns" 100, "1 µs" 1000, "10 µs" 10000, "100 µs" 100000, \
           "1 ms" 1000000, "10 ms" 10000000, "100 ms" 100000000, "1 s" 1000000000)
set key top left
plot datafile using 4:xtic(1) title "p50, 1 thread" lc rgb "#59a14f", \
     '' using 5 title "p99.9, 1 thread" lc rgb "#8cd17d", \
     '' using 6 title "p50, 4 threads" lc rgb "#e15759", \
     '' using 7 title "p99.9, 4 threads" lc rgb "#ff9d9a"

unset multiplot
