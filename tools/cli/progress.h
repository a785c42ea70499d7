// A progress line on stderr for long evaluations: tokens done, tokens/s and the time left. Only
// on a terminal, only once the work has taken a second (short runs stay quiet), erased at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cli {

class Progress {
public:
    // enabled = false (--no-progress) never prints.
    Progress(std::string label, size_t total, bool enabled);
    ~Progress() { erase(); }
    Progress(const Progress &) = delete;
    Progress &operator=(const Progress &) = delete;

    void set_label(std::string label) { label_ = std::move(label); }
    void update(size_t done);  // tokens done so far, of `total`
    void erase();              // clears the line (before other output); the destructor does too

private:
    using Clock = std::chrono::steady_clock;
    std::string label_;
    size_t total_;
    bool enabled_;
    double quiet_seconds_;
    Clock::time_point start_ = Clock::now();
    size_t shown_width_ = 0;  // characters of the line on screen, 0 = nothing shown
};

}  // namespace cli
