// Test helpers: the status and message a call throws (LH_OK and "" when it returns), and a
// substring check for messages. Shared by the context tests.
#pragma once

#include <string>
#include <utility>

#include "common/error.h"

namespace lh_test {

template <typename F>
std::pair<lh_status, std::string> error_of(F &&f) {
    try {
        f();
    } catch (const lh::Error &e) {
        return {e.status(), e.what()};
    }
    return {LH_OK, ""};
}

inline bool contains(const std::string &s, const std::string &needle) { return s.find(needle) != std::string::npos; }

}  // namespace lh_test
