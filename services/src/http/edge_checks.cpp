#include "http/edge_checks.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <regex>

namespace keepsake::services {

using nlohmann::json;

tl::expected<json, std::string> ParseBoundedJson(std::string_view text, int max_depth) {
  // one pass over the bytes: brackets inside strings do not count
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return tl::unexpected("the body is nested more than " + std::to_string(max_depth) +
                              " arrays or objects deep");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return tl::unexpected(std::string("the body is not valid JSON"));
  return parsed;
}

namespace {

// The digit at `i` (ASCII, or full-width U+FF10-U+FF19 as EF BC 90-99) and its byte length;
// 0 when there is none.
size_t DigitAt(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  if (s[i] >= '0' && s[i] <= '9') return 1;
  if (i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xEF &&
      static_cast<unsigned char>(s[i + 1]) == 0xBC &&
      static_cast<unsigned char>(s[i + 2]) >= 0x90 &&
      static_cast<unsigned char>(s[i + 2]) <= 0x99) {
    return 3;
  }
  return 0;
}

bool IsSeparator(char c) { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'; }

bool IsLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

bool LooksLikePhoneNumber(std::string_view text) {
  static const std::regex date(R"(^\d{4}[-./]\d{1,2}[-./]\d{1,2}$)");
  size_t i = 0;
  while (i < text.size()) {
    const bool opens = DigitAt(text, i) > 0 || text[i] == '(' || text[i] == '+';
    // an identifier such as KS00000042 or a waybill SF1234567890 is not a phone number
    if (!opens || (i > 0 && (IsLetter(text[i - 1]) || DigitAt(text, i - 1) > 0))) {
      ++i;
      continue;
    }
    // the candidate: digits with at most two separators between them
    std::string digits, shape;
    size_t j = i, gap = 0;
    if (text[j] == '+') ++j;
    while (j < text.size()) {
      if (const size_t n = DigitAt(text, j); n > 0) {
        const char ascii = n == 1 ? text[j] : static_cast<char>('0' + (text[j + 2] - '\x90'));
        digits += ascii;
        shape += ascii;
        gap = 0;
        j += n;
      } else if (IsSeparator(text[j]) && gap < 2) {
        shape += text[j];
        ++gap;
        ++j;
      } else {
        break;
      }
    }
    while (!shape.empty() && IsSeparator(shape.back())) shape.pop_back();
    if (digits.size() >= 7 && !std::regex_match(shape, date)) return true;
    i = std::max(j, i + 1);
  }
  return false;
}

std::optional<std::string> FreeTextWithPersonalData(const json& body) {
  static constexpr std::array<const char*, 7> kFreeText = {
      "reason", "override_reason", "note", "subject", "body", "message", "description"};
  const auto in = [](const json& object, const std::string& prefix) -> std::optional<std::string> {
    for (const char* field : kFreeText) {
      const auto it = object.find(field);
      if (it != object.end() && it->is_string() &&
          LooksLikePhoneNumber(it->get_ref<const std::string&>()))
        return prefix + field;
    }
    return std::nullopt;
  };
  if (!body.is_object()) return std::nullopt;
  if (auto field = in(body, "")) return field;
  // one level down too: a reveal's new ticket ({"ticket": {"subject": ...}})
  for (const auto& [name, value] : body.items()) {
    if (!value.is_object()) continue;
    if (auto field = in(value, name + ".")) return field;
  }
  return std::nullopt;
}

std::optional<std::string> UnprintableCharacterIn(std::string_view text) {
  const auto hex = [](uint32_t cp) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "U+%04X", cp);
    return std::string(buffer);
  };
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    uint32_t cp = 0;
    size_t length = 0;
    if (byte < 0x80) {
      cp = byte;
      length = 1;
    } else if ((byte & 0xE0) == 0xC0) {
      cp = byte & 0x1F;
      length = 2;
    } else if ((byte & 0xF0) == 0xE0) {
      cp = byte & 0x0F;
      length = 3;
    } else if ((byte & 0xF8) == 0xF0) {
      cp = byte & 0x07;
      length = 4;
    } else {
      return "it is not UTF-8 text";
    }
    if (i + length > text.size()) return "it is not UTF-8 text";
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return "it is not UTF-8 text";
      cp = (cp << 6) | (next & 0x3F);
    }
    static constexpr std::array<uint32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return "it is not UTF-8 text";
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      return "it holds the control character " + hex(cp) + " (line breaks and tabs included)";
    }
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      return "it holds the direction override " + hex(cp) +
             ", which would make a label read other than it is stored";
    }
    i += length;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseBoundedInteger(std::string_view text, int64_t min, int64_t max) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<std::string> ParseTimestamp(std::string_view text) {
  static const std::regex shape(
      R"(^(\d{4})-(\d{2})-(\d{2})(T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z)?$)");
  const std::string s(text);
  std::smatch m;
  if (!std::regex_match(s, m, shape)) return std::nullopt;
  const int month = std::stoi(m[2]), day = std::stoi(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  if (m[4].matched && (std::stoi(m[5]) > 23 || std::stoi(m[6]) > 59 || std::stoi(m[7]) > 60)) {
    return std::nullopt;
  }
  return s;
}

std::string CsvCell(std::string_view text) {
  std::string out = "\"";
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r')) {
    out += '\'';
  }
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace keepsake::services
