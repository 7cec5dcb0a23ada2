// Private: a postcard's address side (postcode boxes, stamp box, divider, address lines, the
// greeting), as PDF operators for the print and as pixels for the preview.
#pragma once

#include <string>

#include <opencv2/core.hpp>

#include "keepsake/imaging/print.hpp"
#include "text_outline.hpp"

namespace keepsake::imaging {

// The back as PDF operators (DeviceCMYK, points from the page's lower left).
std::string BackPdfOps(const PostcardBack& b, const TextOutline* greeting, double trim_w,
                       double trim_h, double bleed_mm);
// The back for the preview, at `px_per_mm`, bleed included.
cv::Mat BackPreview(const PostcardBack& b, const TextOutline* greeting, double trim_w,
                    double trim_h, double bleed_mm, double px_per_mm);
// Two sides next to each other, with a grey gap, for the preview.
cv::Mat SideBySide(const cv::Mat& front, const cv::Mat& back);

}  // namespace keepsake::imaging
