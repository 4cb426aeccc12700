# Draws bench/results.png from the data bench_loggers report wrote:
# columns: logger; records/s on 1 thread for const4, vary4, vary8, mix;
# p50 and p99.9 caller latency (ns) on 1 thread for vary4 burst, then for
# vary4 spread. "?" marks a case that was not run or failed: it is left
# out, never drawn as zero.
# Called by run.sh with -e "datafile='...'; outfile='...'; records='...'".

set terminal pngcairo size 1600,1200 font "DejaVu Sans,11"
set output outfile
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 1
set grid ytics mytics lc rgb "#dddddd"
set xtics nomirror font ",10" rotate by -20
set key top right
set border 3
set ytics nomirror

set multiplot layout 2,1 title sprintf("metalog against spdlog, log4c, glog and write() ceilings: %s records per thread, 1 thread, drained to the page cache", records)

set title "Throughput by record shape, records/s (higher is better)"
set yrange [0:*]
set format y "%.1s %c"
plot datafile using 2:xtic(1) title "const4 (constant record)" lc rgb "#bab0ac", \
     '' using 3 title "vary4" lc rgb "#4e79a7", \
     '' using 4 title "vary8" lc rgb "#f28e2b", \
     '' using 5 title "mix" lc rgb "#59a14f"

set title "Caller latency per call on vary4, ns, log scale (lower is better; timing overhead included)"
set logscale y
set yrange [8:*]
set format y "%g"
set ytics ("10 ns" 10, "100 ns" 100, "1 µs" 1000, "10 µs" 10000, "100 µs" 100000, \
           "1 ms" 1000000, "10 ms" 10000000, "100 ms" 100000000, "1 s" 1000000000)
set key top left
plot datafile using 6:xtic(1) title "p50, burst" lc rgb "#59a14f", \
     '' using 7 title "p99.9, burst" lc rgb "#8cd17d", \
     '' using 8 title "p50, spread" lc rgb "#e15759", \
     '' using 9 title "p99.9, spread" lc rgb "#ff9d9a"

unset multiplot
