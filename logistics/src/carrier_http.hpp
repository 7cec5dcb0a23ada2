// Private: what the carrier adapters share: form bodies, the carriers' digests (MD5 in hex or
// Base64, Java's URLEncoder that SF signs over), China time, weights, and one POST with a
// deadline whose answer must be a JSON object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "keepsake/logistics/carrier.hpp"

namespace keepsake::logistics::carrier_http {

// Request headers by name (what httplib::Headers holds, without its header here).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded, UTF-8 (every byte but A-Z a-z 0-9 - . _ ~ escaped).
std::string FormEncode(const FormFields& fields);
// The first value of `name`, or "".
std::string Field(const FormFields& fields, const std::string& name);

// java.net.URLEncoder.encode(text, "UTF-8"): A-Z a-z 0-9 . - * _ kept, space as +, the rest %XX.
std::string JavaUrlEncode(std::string_view text);
std::string Md5Hex(std::string_view data, bool upper);
std::string Md5Base64(std::string_view data);
// "0.320": grams as the kilograms both carriers take.
std::string Kilograms(int grams);

// "2026-11-20 18:00:00" in China Standard Time (UTC+8, how SF and Kuaidi100 write times) as
// ISO 8601 UTC, or "" when it is not such a time.
std::string UtcFromChinaTime(const std::string& local);

// POSTs `fields` as a form to `url` (http or https), waits at most `timeout_s`, and reads the
// answer as a JSON object. Errors: kUnavailable (no answer in time, not a 200: `carrier` names
// it, and says that the retry sends the same order id), kProtocol (not a JSON object).
CarrierResult<nlohmann::json> PostForJson(const std::string& carrier, const std::string& url,
                                          const FormFields& fields, int timeout_s);

// GETs `url` with `headers` (a file the carrier keeps for us, such as a label), at most
// `max_bytes`. Errors: kUnavailable (no answer in time, not a 200), kUnauthorized (401 or 403:
// the file's token was refused), kProtocol (longer than max_bytes, a URL that is not http(s)).
CarrierResult<std::string> GetFile(const std::string& carrier, const std::string& url,
                                   const HeaderList& headers, int timeout_s, size_t max_bytes);

// The carrier's own failure (a 5xx in its answer): as PostForJson's kUnavailable.
CarrierError Unavailable(const std::string& carrier, const std::string& what);

// A short stable id for a scan that came without one: `prefix` + 16 hex of SHA-256(parts).
std::string ScanId(const std::string& prefix, const std::string& parts);

}  // namespace keepsake::logistics::carrier_http
