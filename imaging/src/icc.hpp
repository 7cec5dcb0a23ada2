// Private: the ICC profile a picture carries (PNG iCCP, JPEG APP2 "ICC_PROFILE" segments, WebP
// ICCP chunk), so that a picture made on a wide-gamut display prints in its own colours.
#pragma once

#include <string>
#include <string_view>

#include "keepsake/imaging/format.hpp"

namespace keepsake::imaging {

// The profile's bytes, or empty when the file has none (or it cannot be read: then the
// picture is taken as sRGB, as generators make them).
std::string EmbeddedIccProfile(std::string_view file, ImageFormat format);

}  // namespace keepsake::imaging
