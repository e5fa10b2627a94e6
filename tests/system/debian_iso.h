// A bootable CD image of the Debian guest (ISOLINUX from Debian's syslinux
// packages, made with xorriso): firmware boots it as under QEMU. Shared by
// BiosBootTest and SmbiosTest.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/system/run_command.h"

namespace vx86::test {

// Writes `iso` holding the guest's kernel and initramfs, booted with the
// command line `append`. Returns "" when done, else why it could not be
// made (the reason to skip a test: a missing tool or file).
inline std::string make_debian_iso(const std::filesystem::path& guest, const std::string& append,
                                   const std::string& iso) {
  const std::string isolinux = "/usr/lib/ISOLINUX/isolinux.bin";
  const std::string ldlinux = "/usr/lib/syslinux/modules/bios/ldlinux.c32";
  for (const std::string& file : {isolinux, ldlinux}) {
    if (!std::filesystem::exists(file)) return file + " is missing (scripts/install-deps.sh)";
  }
  if (run_command({"sh", "-c", "command -v xorriso"}).status != 0) {
    return "no xorriso (scripts/install-deps.sh installs it)";
  }
  const std::filesystem::path tree = iso + ".tree";
  std::filesystem::remove_all(tree);
  std::filesystem::create_directories(tree / "isolinux");
  for (const std::string& file : {isolinux, ldlinux}) {
    std::filesystem::copy_file(file, tree / "isolinux" / std::filesystem::path(file).filename());
  }
  std::filesystem::copy_file(guest / "vmlinuz", tree / "vmlinuz");
  std::filesystem::copy_file(guest / "initramfs.cpio.gz", tree / "initramfs.cpio.gz");
  std::ofstream(tree / "isolinux" / "isolinux.cfg")
      << "SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n"
         "  KERNEL /vmlinuz\n  INITRD /initramfs.cpio.gz\n  APPEND "
      << append << "\n";
  const CommandResult made =
      run_command({"xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-b", "isolinux/isolinux.bin",
                   "-c", "isolinux/boot.cat", "-no-emul-boot", "-boot-load-size", "4",
                   "-boot-info-table", tree.string()});
  std::filesystem::remove_all(tree);
  return made.status == 0 ? "" : "xorriso failed: " + made.err;
}

}  // namespace vx86::test
