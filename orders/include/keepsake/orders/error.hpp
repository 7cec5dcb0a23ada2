// Errors of the orders domain, returned as values (tl::expected), never thrown.
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace keepsake::orders {

enum class Errc {
  kInvalidArgument,      // a field is missing or malformed; Error::field names it
  kNotFound,             // no such order, item, asset, job or token
  kIllegalTransition,    // the state table has no such row; Error::allowed lists the events
  kForbiddenTransition,  // the row exists but the actor's role may not take it
  kVersionConflict,      // optimistic concurrency: someone changed the order first
  kIdempotencyMismatch,  // the same Idempotency-Key came with another body
  kIdempotencyInFlight,  // the same Idempotency-Key is being processed right now
  kUnknownProduct,       // the product id is not in products.json
  kInvalidOption,        // a product option is missing or not one of the allowed values
  kStorage,              // SQLite reported an error (I/O, corruption)
  kDiskFull,             // the disk is full: nothing of this write was kept
};

struct Error {
  Errc code;
  std::string message;               // plain words, safe to show to the caller
  std::string field;                 // JSON path of the offending field, if any
  std::vector<std::string> allowed;  // allowed events or values, if any
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(Errc code, std::string message, std::string field = {},
                                  std::vector<std::string> allowed = {}) {
  return tl::unexpected<Error>(
      Error{code, std::move(message), std::move(field), std::move(allowed)});
}

}  // namespace keepsake::orders
