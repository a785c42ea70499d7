#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace cli {

namespace {

// Seconds before the first line; LONGHEADS_PROGRESS_AFTER overrides it (tests use 0).
double quiet_seconds() {
    const char *env = std::getenv("LONGHEADS_PROGRESS_AFTER");
    return env ? std::atof(env) : 1.0;
}

}  // namespace

Progress::Progress(std::string label, size_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && isatty(STDERR_FILENO)),
      quiet_seconds_(quiet_seconds()) {}

void Progress::erase() {
    if (shown_width_ == 0) return;
    std::fprintf(stderr, "\r%*s\r", static_cast<int>(shown_width_), "");
    std::fflush(stderr);
    shown_width_ = 0;
}

void Progress::update(size_t done) {
    if (!enabled_ || done == 0) return;
    double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    if (elapsed < quiet_seconds_) return;
    double rate = static_cast<double>(done) / elapsed;
    double left = done < total_ ? static_cast<double>(total_ - done) / rate : 0.0;
    char line[256];
    int n = std::snprintf(line, sizeof line, "%s: %zu/%zu tokens, %.1f tokens/s, %.0f s left", label_.c_str(), done,
                          total_, rate, left);
    if (n < 0) return;
    size_t width = std::min(static_cast<size_t>(n), sizeof line - 1);
    // Pad over the end of a longer previous line.
    std::fprintf(stderr, "\r%s%*s", line, static_cast<int>(shown_width_ > width ? shown_width_ - width : 0), "");
    std::fflush(stderr);
    if (width > shown_width_) shown_width_ = width;
}

}  // namespace cli
