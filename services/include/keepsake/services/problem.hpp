// Errors at the HTTP edge as application/problem+json (RFC 9457). Every module error reaches
// the caller through ToProblem, one exhaustive switch per Errc (no default: -Wswitch-enum is an
// error), so a new error code cannot ship without a status and a title.
#pragma once

#include <string>
#include <vector>

#include "keepsake/orders/error.hpp"

namespace keepsake::services {

// Errors that the HTTP layer itself detects.
enum class ApiErrc {
  kUnauthenticated,       // 401: no or unknown bearer token
  kForbidden,             // 403: the token's role may not use this route
  kNoRoute,               // 404: no such path
  kMalformedJson,         // 400: the body is not JSON, or not the expected shape
  kMissingHeader,         // 400: a required header (Idempotency-Key) is missing or malformed
  kLengthRequired,        // 411: a body without Content-Length, or chunked
  kPayloadTooLarge,       // 413: Content-Length over the limit
  kUnsupportedEncoding,   // 415: Content-Encoding on a request body
  kUnsupportedMediaType,  // 415: an upload that is none of the accepted formats
  kBadRequest,            // 400: anything else wrong with the request line or headers
  kTooManyRequests,       // 429: a rate limit of this peer address (Retry-After says when)
  kPersonalDataInText,    // 422: a phone number in free text that goes where no personal
                          //      data may be (timeline, tickets, webhooks, audit log)
  kInvalidQuery,          // 400: a query parameter that is not what the route takes
  kInvalidField,          // 422: a body field that is missing or not what the route takes
  kHeadersTooLarge,       // 431: more header fields than any client of ours sends
  kAccountLocked,         // 429: a staff account locked after failed sign-ins (Retry-After)
  kInternal,              // 500: a bug or an I/O failure; details only in the log
};

struct Problem {
  int status = 500;
  std::string code;    // stable machine-readable name, e.g. illegal_transition
  std::string title;   // short, the same for every instance of the code
  std::string detail;  // this occurrence, in plain words
  std::string field;   // offending field, if any
  std::vector<std::string> allowed;
};

Problem ToProblem(const orders::Error& error);
Problem ToProblem(ApiErrc code, std::string detail, std::string field = {});

// The JSON body; `instance` is the request path, `request_id` ties it to the log.
std::string ProblemBody(const Problem& problem, const std::string& instance,
                        const std::string& request_id);

}  // namespace keepsake::services
