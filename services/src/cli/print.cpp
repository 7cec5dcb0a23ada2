// `keepsake print render`: fit an image to a 2D product and write its print-ready files, the
// way a job does.
#include "cli/command.hpp"
#include "keepsake/services/print_command.hpp"

namespace keepsake::services::cli {

std::vector<Command> AddPrint(CLI::App& app) {
  auto args = std::make_shared<PrintRenderArgs>();
  auto* print = app.add_subcommand("print", "2D products: render print-ready files");
  print->require_subcommand(1);
  auto* render = print->add_subcommand(
      "render", "Fit an image to a product; writes OUT/print.pdf, print.png, preview.png");
  render->add_option("--product", args->product, "Product id (keepsake products)")->required();
  render->add_option("--image", args->image, "PNG, JPEG or WebP")->required();
  render->add_option("--out", args->out_dir, "Output folder")->required();
  render->add_option("--size-mm", args->size_mm, "Keychain size (50, 60 or 70)");
  render->add_option("--option", args->options,
                     "An item option k=v: size_mm=60, sides=2 (double-sided keychain)");
  render->add_option("--text", args->text,
                     "A postcard's greeting (UTF-8; Chinese and Latin), on its back");
  render
      ->add_option("--ring-offset-mm", args->ring_offset_mm,
                   "Keychains: the ring moved sideways from the balance line (mm, + right)")
      ->check(CLI::Range(-25.0, 25.0));
  render->add_flag("--allow-low-dpi", args->allow_low_dpi,
                   "Print below the refusal dpi (a reviewer's decision)");
  render->add_option("--preview-px", args->preview_px, "Longer side of preview.png")
      ->check(CLI::Range(100, 4000))
      ->capture_default_str();
  return {{render,
           [args] {
             auto settings = LoadPrintSettings(FindAssetsDir(""));
             if (!settings) return Die(settings.error());
             return RunPrintRender(*args, *settings);
           },
           false}};
}

}  // namespace keepsake::services::cli
