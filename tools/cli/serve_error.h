// Errors of the HTTP server in the OpenAI shape: {"error": {"message", "type", "param", "code"}}
// with the HTTP status that goes with them.
#pragma once

#include <stdexcept>
#include <string>

namespace cli {

struct ApiError : std::runtime_error {
    int status;
    std::string type;   // "invalid_request_error", "authentication_error", "server_error", ...
    std::string param;  // the request field at fault, or ""
    std::string code;   // a short machine-readable reason, or ""
    ApiError(int status_, const std::string &message, std::string type_ = "invalid_request_error",
             std::string param_ = "", std::string code_ = "")
        : std::runtime_error(message), status(status_), type(std::move(type_)), param(std::move(param_)),
          code(std::move(code_)) {}
};

// 400 naming the field.
inline ApiError bad_field(const std::string &field, const std::string &message) {
    return ApiError(400, "'" + field + "' " + message, "invalid_request_error", field);
}

// The JSON body of an error.
std::string error_body(const ApiError &e);

}  // namespace cli
