// Error type thrown inside the library; src/api/ turns it into an lh_status + message.
#pragma once

#include <stdexcept>
#include <string>

#include "longheads/longheads.h"

namespace lh {

class Error : public std::runtime_error {
public:
    Error(lh_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
    lh_status status() const { return status_; }

private:
    lh_status status_;
};

[[noreturn]] inline void fail(lh_status status, const std::string &message) { throw Error(status, message); }

inline void require(bool condition, lh_status status, const std::string &message) {
    if (!condition) fail(status, message);
}

}  // namespace lh
