// An item's picture as people see it on the slip and on the order page: the newest preview its
// jobs made, from the data folder's assets.
#pragma once

#include <cstdint>
#include <string>

#include "keepsake/logistics/labels.hpp"
#include "keepsake/orders/store.hpp"

namespace keepsake::services {

// The sha256 of the newest preview.png an item's jobs made, or empty.
std::string NewestPreviewAsset(orders::Store& store, int64_t item_id);

// The packing slip's pictures: each item's newest preview read from `data_dir`'s assets.
logistics::ItemPicture PreviewPictures(orders::Store& store, const std::string& data_dir);

}  // namespace keepsake::services
