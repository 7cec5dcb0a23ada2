// RFC 9457 "Problem Details for HTTP APIs". `type` is a relative URI naming the code.
#include "keepsake/services/problem.hpp"

#include <nlohmann/json.hpp>

namespace keepsake::services {

namespace {

Problem Make(int status, const char* code, const char* title, std::string detail,
             std::string field = {}, std::vector<std::string> allowed = {}) {
  return Problem{status, code, title, std::move(detail), std::move(field), std::move(allowed)};
}

}  // namespace

Problem ToProblem(const orders::Error& e) {
  using orders::Errc;
  switch (e.code) {
    case Errc::kInvalidArgument:
      return Make(422, "invalid_field", "A field is missing or invalid", e.message, e.field,
                  e.allowed);
    case Errc::kNotFound:
      return Make(404, "not_found", "Not found", e.message, e.field);
    case Errc::kIllegalTransition:
      return Make(409, "illegal_transition", "This change is not possible in the current state",
                  e.message, e.field, e.allowed);
    case Errc::kForbiddenTransition:
      return Make(403, "forbidden_transition", "Your role may not make this change", e.message,
                  e.field, e.allowed);
    case Errc::kVersionConflict:
      return Make(409, "version_conflict", "Changed by someone else", e.message, e.field);
    case Errc::kIdempotencyMismatch:
      return Make(422, "idempotency_key_reused",
                  "Idempotency-Key already used for a different request", e.message, e.field);
    case Errc::kIdempotencyInFlight:
      return Make(409, "idempotency_key_in_flight",
                  "A request with this Idempotency-Key is still being processed", e.message,
                  e.field);
    case Errc::kUnknownProduct:
      return Make(422, "unknown_product", "Unknown product", e.message, e.field, e.allowed);
    case Errc::kInvalidOption:
      return Make(422, "invalid_option", "Invalid product option", e.message, e.field, e.allowed);
    case Errc::kDiskFull:
      return Make(507, "insufficient_storage", "The server's disk is full",
                  "nothing was written; the operators are told; try again later");
    case Errc::kStorage:
      return Make(500, "internal", "Internal error", "internal error");
  }
  return Make(500, "internal", "Internal error", "internal error");
}

Problem ToProblem(ApiErrc code, std::string detail, std::string field) {
  switch (code) {
    case ApiErrc::kUnauthenticated:
      return Make(401, "unauthenticated", "Authentication required", std::move(detail));
    case ApiErrc::kForbidden:
      return Make(403, "forbidden", "Your role may not use this endpoint", std::move(detail));
    case ApiErrc::kNoRoute:
      return Make(404, "no_route", "No such endpoint", std::move(detail));
    case ApiErrc::kMalformedJson:
      return Make(400, "malformed_json", "The body is not valid JSON of the expected shape",
                  std::move(detail), std::move(field));
    case ApiErrc::kMissingHeader:
      return Make(400, "missing_header", "A required header is missing or malformed",
                  std::move(detail), std::move(field));
    case ApiErrc::kLengthRequired:
      return Make(411, "length_required", "Content-Length is required", std::move(detail));
    case ApiErrc::kPayloadTooLarge:
      return Make(413, "payload_too_large", "The body is too large", std::move(detail));
    case ApiErrc::kUnsupportedEncoding:
      return Make(415, "unsupported_encoding", "Compressed request bodies are not accepted",
                  std::move(detail));
    case ApiErrc::kUnsupportedMediaType:
      return Make(415, "unsupported_media_type", "Unsupported file type", std::move(detail));
    case ApiErrc::kBadRequest:
      return Make(400, "bad_request", "Bad request", std::move(detail), std::move(field));
    case ApiErrc::kHeadersTooLarge:
      return Make(431, "headers_too_large", "Too many header fields", std::move(detail));
    case ApiErrc::kTooManyRequests:
      return Make(429, "too_many_requests", "Too many requests", std::move(detail));
    case ApiErrc::kAccountLocked:
      return Make(429, "account_locked", "The account is locked", std::move(detail));
    case ApiErrc::kPersonalDataInText:
      return Make(422, "personal_data_in_text", "Personal data in free text", std::move(detail),
                  std::move(field));
    case ApiErrc::kInvalidQuery:
      return Make(400, "invalid_query", "A query parameter is not valid", std::move(detail),
                  std::move(field));
    case ApiErrc::kInvalidField:
      return Make(422, "invalid_field", "A field is missing or invalid", std::move(detail),
                  std::move(field));
    case ApiErrc::kInternal:
      return Make(500, "internal", "Internal error", "internal error");
  }
  return Make(500, "internal", "Internal error", "internal error");
}

std::string ProblemBody(const Problem& p, const std::string& instance,
                        const std::string& request_id) {
  nlohmann::json body = {{"type", "/problems/" + p.code},
                         {"title", p.title},
                         {"status", p.status},
                         {"detail", p.detail},
                         {"instance", instance},
                         {"code", p.code},
                         {"request_id", request_id}};
  if (!p.field.empty()) body["field"] = p.field;
  if (!p.allowed.empty()) body["allowed"] = p.allowed;
  return body.dump();
}

}  // namespace keepsake::services
