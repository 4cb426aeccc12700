/*
 * glog (Debian libgoogle-glog-dev 0.6) writing the benchmark's JSON line:
 * glog has no structured API and no way to format its own prefix as JSON,
 * so the prefix is turned off (FLAGS_log_prefix) and the whole line, with a
 * timestamp taken at the call, is the message. Output goes to glog's INFO
 * log file in the temp dir, stdio-buffered as glog does by default.
 *
 * glog 0.6 always starts a log file with a few header lines ("Log file
 * created at: ..."); the validator skips those before the first record.
 *
 * Compiled only when `pkg-config --exists libglog` (bench/run.sh).
 */
#include "bench.h"

#include <cstdio>
#include <cstring>
#include <string>

#include <dirent.h>
#include <glog/logging.h>

namespace {

int glog_start(const char *dir, int, int, long)
{
    FLAGS_logtostderr = false;
    FLAGS_alsologtostderr = false;
    FLAGS_stderrthreshold = google::GLOG_FATAL; // no copy of INFO on stderr
    FLAGS_log_prefix = false;
    FLAGS_timestamp_in_logfile_name = false;     // a predictable file name
    FLAGS_max_log_size = 4000;                   // MB: never rotate mid-run
    google::InitGoogleLogging("bench");
    google::SetLogDestination(google::GLOG_INFO, (std::string(dir) + "/glog.log").c_str());
    // Higher severities would also be copied to files of their own; none
    // is logged here, but say so rather than rely on it.
    google::SetLogDestination(google::GLOG_WARNING, "");
    google::SetLogDestination(google::GLOG_ERROR, "");
    google::SetLogDestination(google::GLOG_FATAL, "");
    return 0;
}

void glog_bench_log(const bench_rec *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char line[256];
    size_t n = bench_render_line(line, sizeof line, ts.tv_sec, ts.tv_nsec / 1000, r->id);
    line[n - 1] = '\0'; // glog adds the newline
    LOG(INFO) << line;
}

int glog_drain()
{
    google::FlushLogFiles(google::GLOG_INFO);
    google::ShutdownGoogleLogging();
    return 0;
}

// glog names the file from the base it was given, plus an extension in
// some versions: find it rather than guess.
int glog_output(const char *dir, char *path, size_t size)
{
    DIR *d = opendir(dir);
    if (d == nullptr)
        return -1;
    int rc = -1;
    while (struct dirent *e = readdir(d)) {
        if (std::strncmp(e->d_name, "glog.log", 8) == 0) {
            std::snprintf(path, size, "%s/%s", dir, e->d_name);
            rc = 0;
            break;
        }
    }
    closedir(d);
    return rc;
}

bench_case make_case()
{
    bench_case c{};
    c.name = "glog";
    c.kind = "sync";
    c.setup = "glog 0.6 LOG(INFO) with FLAGS_log_prefix false, the JSON line (rendered with "
              "snprintf, %.15g for the double) as the message, INFO log file in the temp dir; const4 only "
              "(keeps the run short)";
    c.start = glog_start;
    c.log = glog_bench_log;
    c.drain = glog_drain;
    c.output = glog_output;
    return c;
}

} // namespace

extern "C" const bench_case bench_glog = make_case();
