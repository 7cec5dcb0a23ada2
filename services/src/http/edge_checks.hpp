// Checks of what a client sends, made once at the HTTP edge before any handler uses it:
// bounded JSON, free text without personal data, customer fields without control characters,
// numeric query parameters parsed strictly. Each says in plain words what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace keepsake::services {

// Deeper than any body of ours (an order is 4 levels) and shallow enough that a recursive walk
// (dump, comparison) of what is accepted cannot exhaust a thread's stack.
inline constexpr int kMaxJsonDepth = 32;

// Parses `text` as JSON after a linear scan has found it nested at most `max_depth` arrays and
// objects deep (nlohmann's parser survives any depth; its dump() recurses once per level).
// The error is the reason in words.
tl::expected<nlohmann::json, std::string> ParseBoundedJson(std::string_view text,
                                                           int max_depth = kMaxJsonDepth);

// True when `text` holds something a phone number could be: seven or more digits in a row,
// spaces, dots, dashes or brackets between them allowed ("138 1234 5678", "(010) 8888-1234"),
// ASCII or full-width digits.
bool LooksLikePhoneNumber(std::string_view text);

// The free-text fields of our bodies (reason, override_reason, note, subject, body, message,
// description) end up on timelines, tickets, webhooks and the audit log, none of which holds
// personal data. For the first such field of `body` that holds a phone number: its name.
std::optional<std::string> FreeTextWithPersonalData(const nlohmann::json& body);

// For customer names and addresses: what is wrong with `text`, or nullopt. Refused: bytes that
// are not UTF-8, C0 and C1 control characters (NUL, tab, CR, LF, ESC, ...), DEL, and the
// bidirectional overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069) that make a
// label read other than it is stored.
std::optional<std::string> UnprintableCharacterIn(std::string_view text);

// A decimal integer in [min, max], every character a digit (no sign, no "2000abc").
std::optional<int64_t> ParseBoundedInteger(std::string_view text, int64_t min, int64_t max);

// An ISO 8601 UTC time as the API writes it ("2026-11-01T00:00:00Z"), or a date
// ("2026-11-01"); checked for shape and ranges, returned as given.
std::optional<std::string> ParseTimestamp(std::string_view text);

// A CSV field (RFC 4180 quoting) that a spreadsheet shows as text: a cell starting with
// = + - @ or a tab or CR gets a leading apostrophe (OWASP's CSV injection advice).
std::string CsvCell(std::string_view text);

}  // namespace keepsake::services
