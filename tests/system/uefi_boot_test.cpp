// UEFI firmware: Debian's OVMF (the edk2 build QEMU users pass with -bios)
// boots on vx86's machines. A FAT disk holds the Debian kernel (whose EFI
// stub makes it a UEFI program), its initramfs and a startup.nsh that the
// UEFI shell runs; OVMF reads them through its own disk drivers (AHCI on
// the q35, the PIIX's IDE on the pc), installs the machine's ACPI tables
// from fw_cfg (the linker/loader script, as OVMF runs it) and starts the
// kernel, whose workload (efi) reports what it got: the firmware, the
// command line, the ACPI tables and the PCI functions. On the q35 all of it
// must equal what the same disk gives under qemu-system-x86_64 -M q35.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/system/debian_guest.h"
#include "tests/system/file_text.h"
#include "tests/system/run_command.h"

namespace vx86::test {
namespace {

constexpr char kOvmf[] = "/usr/share/ovmf/OVMF.fd";

// Why the test cannot run here, or "".
std::string missing_tools() {
  if (!std::filesystem::exists(kOvmf)) return std::string(kOvmf) + " is missing (Debian's ovmf)";
  if (run_command({"sh", "-c", "command -v mformat && command -v mcopy"}).status != 0) {
    return "mtools is not installed";
  }
  return "";
}

// The FAT disk OVMF boots from: the kernel, the initramfs and startup.nsh.
bool make_efi_disk(const std::filesystem::path& guest, const std::string& image) {
  const std::string nsh = image + ".nsh";
  std::ofstream(nsh, std::ios::binary)
      << "fs0:\r\n\\vmlinuz.efi initrd=\\initrd.gz console=ttyS0 vx86.workload=efi\r\n";
  const CommandResult r =
      run_command({"sh", "-c",
                   "rm -f '" + image + "' && truncate -s 48M '" + image + "' && mformat -i '" +
                       image + "' -F :: && mcopy -i '" + image + "' '" +
                       (guest / "vmlinuz").string() + "' ::/vmlinuz.efi && mcopy -i '" + image +
                       "' '" + (guest / "initramfs.cpio.gz").string() +
                       "' ::/initrd.gz && mcopy -i '" + image + "' '" + nsh + "' ::/startup.nsh"});
  std::filesystem::remove(nsh);
  return r.status == 0;
}

std::vector<std::string> efi_results(std::vector<std::string> emulator, const std::string& disk,
                                     const std::string& tag) {
  const std::string serial =
      ::testing::TempDir() + "/vx86-uefi-" + tag + "-" + std::to_string(getpid()) + ".serial";
  std::filesystem::remove(serial);
  for (const std::string& arg :
       {std::string("-bios"), std::string(kOvmf), std::string("-m"), std::string("256"),
        std::string("-smp"), std::string("1"), std::string("-display"), std::string("none"),
        std::string("-nic"), std::string("none"), std::string("-drive"),
        "if=ide,format=raw,file=" + disk, std::string("-serial"), "file:" + serial,
        std::string("-no-reboot")}) {
    emulator.push_back(arg);
  }
  const CommandResult r = run_command(emulator, 300);
  EXPECT_EQ(r.status, 0) << tag << ": " << r.err;
  const std::string text = file_text(serial);
  std::filesystem::remove(serial);
  std::vector<std::string> results = guest_results(text, "efi ");
  EXPECT_FALSE(results.empty()) << tag << ":\n" << text;
  return results;
}

class UefiBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    guest_ = debian_guest_dir();
    if (!std::filesystem::exists(guest_ / "vmlinuz")) GTEST_SKIP() << "no guest in " << guest_;
    if (!guest_has_workload(guest_, "efi")) {
      GTEST_SKIP() << "the guest has no efi workload (rebuild it with scripts/build-guest.sh)";
    }
    const std::string why_not = missing_tools();
    if (!why_not.empty()) GTEST_SKIP() << why_not << " (scripts/install-deps.sh installs it)";
    disk_ = ::testing::TempDir() + "/vx86-uefi-" + std::to_string(getpid()) + ".img";
    ASSERT_TRUE(make_efi_disk(guest_, disk_));
  }
  void TearDown() override {
    if (!disk_.empty()) std::filesystem::remove(disk_);
  }

  std::filesystem::path guest_;
  std::string disk_;
};

TEST_F(UefiBootTest, OvmfBootsTheDebianKernelOnTheQ35AsUnderQemu) {
  const std::vector<std::string> ours = efi_results({VX86_BINARY, "-M", "q35"}, disk_, "vx86");
  for (const char* want :
       {"vx86-result: efi platform 64", "vx86-result: efi efi: EFI v2.70 by EDK II",
        "vx86-result: efi cmdline \\vmlinuz.efi initrd=\\initrd.gz console=ttyS0 "
        "vx86.workload=efi",
        "vx86-result: efi acpi-tables APIC BGRT DSDT FACP FACS HPET MCFG WAET",
        "vx86-result: efi ACPI: Interpreter enabled"}) {
    EXPECT_NE(std::find(ours.begin(), ours.end(), want), ours.end())
        << want << " in\n"
        << testing::PrintToString(ours);
  }
  if (run_command({"sh", "-c", "command -v qemu-system-x86_64"}).status != 0) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed (vx86's half passed)";
  }
  EXPECT_EQ(ours, efi_results({"qemu-system-x86_64", "-accel", "tcg", "-M", "q35"}, disk_, "qemu"));
}

// The pc: OVMF reads the disk through the PIIX's IDE function, with the
// default CD-ROM drive beside it on the other channel.
TEST_F(UefiBootTest, OvmfBootsTheDebianKernelOnThePc) {
  const std::vector<std::string> ours = efi_results({VX86_BINARY, "-M", "pc"}, disk_, "vx86-pc");
  for (const char* want :
       {"vx86-result: efi platform 64", "vx86-result: efi efi: EFI v2.70 by EDK II",
        "vx86-result: efi acpi-tables APIC BGRT DSDT FACP FACS HPET WAET",
        "vx86-result: efi ACPI: Interpreter enabled"}) {
    EXPECT_NE(std::find(ours.begin(), ours.end(), want), ours.end())
        << want << " in\n"
        << testing::PrintToString(ours);
  }
}

}  // namespace
}  // namespace vx86::test
