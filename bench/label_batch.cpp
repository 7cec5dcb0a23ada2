// Renders N shipping labels into one PDF (imaging::LabelsPdf), as a batch print would, and
// writes it; or, with --png-dpi, N PNG labels (imaging::LabelsPng), keeping only their total
// size: the figures behind docs/performance.md's label lines.
//   keepsake_labels --count 500 --out labels.pdf
//   keepsake_labels --count 500 --png-dpi 203
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "keepsake/imaging/label.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Keepsake label batch benchmark"};
  int count = 500;
  std::string out = "labels.pdf";
  app.add_option("--count", count)->check(CLI::Range(1, 100000));
  app.add_option("--out", out);
  int png_dpi = 0;
  app.add_option("--png-dpi", png_dpi, "203 or 300: PNGs instead of one PDF");
  CLI11_PARSE(app, argc, argv);
  std::vector<keepsake::imaging::ShippingLabel> labels;
  for (int n = 0; n < count; ++n) {
    char waybill[24];
    std::snprintf(waybill, sizeof waybill, "SF%010d", n);
    const std::string order = "KS" + std::to_string(10000000 + n);
    // a carrier's label as SF Express books it: its routing and sorting codes, the full address
    labels.push_back({"SF Express 顺丰速运",
                      waybill,
                      "571WA-010AB  F32",
                      {"王*  138******78", "浙江省 杭州市 西湖区 文三路 90 号 3 幢 502 室"},
                      {"Keepsake 工坊", "400-800-1234", "上海市 徐汇区 漕溪北路 88 号"},
                      "1 x Fridge magnet, rectangle (80 x 53 mm)",
                      order,
                      order,
                      "1/1",
                      "0.32 kg"});
  }
  const keepsake::imaging::LabelFonts fonts{
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
      "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"};
  const auto started = std::chrono::steady_clock::now();
  if (png_dpi != 0) {
    auto pngs = keepsake::imaging::LabelsPng(labels, 100, 150, fonts, png_dpi);
    if (!pngs) {
      std::fprintf(stderr, "%s\n", pngs.error().message.c_str());
      return 1;
    }
    size_t bytes = 0;
    for (const std::string& png : *pngs) bytes += png.size();
    std::printf("png_labels=%d dpi=%d seconds=%.2f bytes=%zu\n", count, png_dpi,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                bytes);
    return 0;
  }
  auto pdf = keepsake::imaging::LabelsPdf(labels, 100, 150, fonts);
  if (!pdf) {
    std::fprintf(stderr, "%s\n", pdf.error().message.c_str());
    return 1;
  }
  std::ofstream(out, std::ios::binary) << *pdf;
  std::printf("labels=%d seconds=%.2f bytes=%zu\n", count,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
              pdf->size());
  return 0;
}
